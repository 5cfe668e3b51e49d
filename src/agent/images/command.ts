/**
 * Kubernetes' rules for what a container runs: `command` replaces the image ENTRYPOINT, `args` replaces
 * its CMD, and `$(VAR)` references expand from the container's env (kubelet's
 * third_party/forked/golang/expansion), with `$$` as the escape.
 */

const OPERATOR = '$';
const OPENER = '(';
const CLOSER = ')';

/** `$(NAME)` unresolved by `mapping` stays as written, as kubelet leaves it. */
export function expand(input: string, mapping: (name: string) => string | undefined): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] === OPERATOR && cursor + 1 < input.length) {
      out += input.slice(checkpoint, cursor);
      const { read, isVar, advance } = tryReadVariableName(input.slice(cursor + 1));
      if (isVar) out += mapping(read) ?? `${OPERATOR}${OPENER}${read}${CLOSER}`;
      else out += read;
      cursor += advance;
      checkpoint = cursor + 1;
    }
  }
  return out + input.slice(checkpoint);
}

function tryReadVariableName(input: string): { read: string; isVar: boolean; advance: number } {
  switch (input[0]) {
    case OPERATOR:
      return { read: OPERATOR, isVar: false, advance: 1 };
    case OPENER:
      for (let i = 1; i < input.length; i++) {
        if (input[i] === CLOSER) return { read: input.slice(1, i), isVar: true, advance: i + 1 };
      }
      return { read: OPERATOR + OPENER, isVar: false, advance: 1 };
    default:
      return { read: OPERATOR + input[0], isVar: false, advance: 1 };
  }
}

/** A mapping over several env maps, first match wins (kubelet's MappingFuncFor). */
export function mappingFor(...contexts: Array<Record<string, string>>): (name: string) => string | undefined {
  return (name) => {
    for (const ctx of contexts) if (Object.prototype.hasOwnProperty.call(ctx, name)) return ctx[name];
    return undefined;
  };
}

export interface EnvVarValue {
  name: string;
  value: string;
}

/**
 * Expands an ordered env list as kubelet does: each value may reference the variables defined before
 * it, then the service env (`serviceEnv`); later duplicates override earlier ones.
 */
export function expandEnv(vars: EnvVarValue[], serviceEnv: Record<string, string> = {}): Record<string, string> {
  const tmp: Record<string, string> = {};
  for (const v of vars) tmp[v.name] = expand(v.value, mappingFor(tmp, serviceEnv));
  return { ...serviceEnv, ...tmp };
}

export interface ContainerCommandInput {
  /** The image's ENTRYPOINT and CMD from the catalog. */
  image: { entrypoint: string[]; cmd: string[] };
  command?: string[] | undefined;
  args?: string[] | undefined;
  /** The container's final env, used for `$(VAR)` expansion. */
  env: Record<string, string>;
}

/** The argv to run (kubelet's kubecontainer.ExpandContainerCommandAndArgs over the image config). */
export function containerArgv(input: ContainerCommandInput): string[] {
  const mapping = mappingFor(input.env);
  const command = input.command?.length ? input.command.map((c) => expand(c, mapping)) : undefined;
  const args = input.args?.length ? input.args.map((a) => expand(a, mapping)) : undefined;
  if (command) return [...command, ...(args ?? [])];
  return [...input.image.entrypoint, ...(args ?? input.image.cmd)];
}
