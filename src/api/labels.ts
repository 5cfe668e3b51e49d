/**
 * Label selectors, as k8s.io/apimachinery/pkg/labels parses, matches and prints them.
 * Parse errors carry Kubernetes' exact text; the API server wraps them in a 400 BadRequest.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { isQualifiedName, isValidLabelValue } from './validation/names.js';

export type SelectorOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: SelectorOperator;
  /** Sorted and de-duplicated, as sets.String gives them. */
  values: string[];
}

/** AND of requirements, sorted by key. An empty list matches everything. */
export interface LabelSelectorRequirements {
  requirements: Requirement[];
  /** A selector that selects nothing (a nil *metav1.LabelSelector converts to this in some callers). */
  nothing?: boolean;
}

export class SelectorParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorParseError';
  }
}

// ---- lexer ----

type Tok = 'err' | 'eos' | ')' | ',' | '!' | '==' | '=' | '>' | 'id' | 'in' | '<' | '!=' | 'notin' | '(';
const literalTokens: Record<string, Tok> = { ')': ')', ',': ',', '!': '!', '==': '==', '=': '=', '>': '>', in: 'in', '<': '<', '!=': '!=', notin: 'notin', '(': '(' };
const special = new Set(['=', '!', '(', ')', ',', '>', '<']);
const whitespace = new Set([' ', '\t', '\r', '\n']);

function lex(s: string): Array<[Tok, string]> {
  const out: Array<[Tok, string]> = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && whitespace.has(s[pos])) pos++;
    if (pos >= s.length) {
      out.push(['eos', '']);
      return out;
    }
    if (special.has(s[pos])) {
      let buf = '';
      let last: [Tok, string] | undefined;
      while (pos < s.length && special.has(s[pos])) {
        buf += s[pos];
        const t = literalTokens[buf];
        if (t) last = [t, buf];
        else if (last) break;
        pos++;
      }
      out.push(last ?? ['err', `error expected: keyword found '${buf}'`]);
    } else {
      let buf = '';
      while (pos < s.length && !special.has(s[pos]) && !whitespace.has(s[pos])) buf += s[pos++];
      out.push([literalTokens[buf] ?? 'id', buf]);
    }
  }
}

// ---- parser (labels.Parser) ----

const binaryOperators = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];

class Parser {
  private pos = 0;
  constructor(private readonly items: Array<[Tok, string]>) {}

  /** In the Values context `in`/`notin` are identifiers. */
  private look(values: boolean): [Tok, string] {
    const [t, l] = this.items[this.pos];
    return values && (t === 'in' || t === 'notin') ? ['id', l] : [t, l];
  }
  private take(values: boolean): [Tok, string] {
    const r = this.look(values);
    this.pos++;
    return r;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const [tok, lit] = this.look(true);
      if (tok === 'id' || tok === '!') {
        try {
          reqs.push(this.requirement());
        } catch (e) {
          throw new SelectorParseError(`unable to parse requirement: ${(e as Error).message}`);
        }
        const [t, l] = this.take(true);
        if (t === 'eos') return reqs;
        if (t === ',') {
          const [t2, l2] = this.look(true);
          if (t2 !== 'id' && t2 !== '!') throw new SelectorParseError(`found '${l2}', expected: identifier after ','`);
        } else throw new SelectorParseError(`found '${l}', expected: ',' or 'end of string'`);
      } else if (tok === 'eos') return reqs;
      else throw new SelectorParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
    }
  }

  private requirement(): Requirement {
    let op: SelectorOperator | undefined;
    let [tok, key] = this.take(true);
    if (tok === '!') {
      op = '!';
      [tok, key] = this.take(true);
    }
    if (tok !== 'id') throw new Error(`found '${key}', expected: identifier`);
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) throw new Error(`<nil>: Invalid value: ${JSON.stringify(key)}: ${keyErrs.join('; ')}`);
    const [next] = this.look(true);
    if (next === 'eos' || next === ',') return newRequirement(key, op ?? 'exists', []);
    if (op === '!') return newRequirement(key, op, []);
    const [otok, olit] = this.take(false);
    const opMap: Partial<Record<Tok, SelectorOperator>> = { in: 'in', notin: 'notin', '=': '=', '==': '==', '!=': '!=', '>': 'gt', '<': 'lt' };
    const operator = opMap[otok];
    if (!operator) throw new Error(`found '${olit}', expected: ${binaryOperators.join(', ')}`);
    const values = operator === 'in' || operator === 'notin' ? this.setValues() : this.exactValue();
    return newRequirement(key, operator, [...new Set(values)].sort());
  }

  private setValues(): string[] {
    const [t, l] = this.take(true);
    if (t !== '(') throw new Error(`found '${l}' expected: '('`);
    const [t1, l1] = this.look(true);
    if (t1 === ')') {
      this.take(true);
      return [''];
    }
    if (t1 !== 'id' && t1 !== ',') throw new Error(`found '${l1}', expected: ',', ')' or identifier`);
    const s = new Set<string>();
    for (;;) {
      const [tok, lit] = this.take(true);
      if (tok === 'id') {
        s.add(lit);
        const [t2, l2] = this.look(true);
        if (t2 === ',') continue;
        if (t2 === ')') break;
        throw new Error(`found '${l2}', expected: ',' or ')'`);
      } else if (tok === ',') {
        if (s.size === 0) s.add('');
        const [t2] = this.look(true);
        if (t2 === ')') {
          s.add('');
          break;
        }
        if (t2 === ',') s.add('');
      } else throw new Error(`found '${lit}', expected: ',', or identifier`);
    }
    const [tc] = this.take(true);
    if (tc !== ')') throw new Error(`found '${l1}', expected: ')'`);
    return [...s];
  }

  private exactValue(): string[] {
    const [t] = this.look(true);
    if (t === 'eos' || t === ',') return [''];
    const [tok, lit] = this.take(true);
    if (tok === 'id') return [lit];
    throw new Error(`found '${lit}', expected: identifier`);
  }
}

/** labels.NewRequirement's checks, with its field paths (`values[0][key]`). */
function newRequirement(key: string, operator: SelectorOperator, values: string[]): Requirement {
  const errs: string[] = [];
  const render = (v: string[]) => `[]string{${v.map((x) => JSON.stringify(x)).join(', ')}}`;
  if ((operator === 'in' || operator === 'notin') && values.length === 0)
    errs.push(`values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty`);
  if ((operator === '=' || operator === '==' || operator === '!=') && values.length !== 1)
    errs.push(`values: Invalid value: ${render(values)}: exact-match compatibility requires one single value`);
  if (operator === 'gt' || operator === 'lt') {
    values.forEach((v, i) => {
      if (!/^[-+]?\d+$/.test(v)) errs.push(`values[${i}]: Invalid value: ${JSON.stringify(v)}: for 'Gt', 'Lt' operators, the value must be an integer`);
    });
  }
  values.forEach((v, i) => {
    const e = isValidLabelValue(v);
    if (e.length) errs.push(`values[${i}][${key}]: Invalid value: ${JSON.stringify(v)}: ${e.join('; ')}`);
  });
  if (errs.length) throw new Error(errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`);
  return { key, operator, values };
}

/** labels.Parse: `a=b,c!=d,e in (x,y),!f`. Throws SelectorParseError with Kubernetes' message. */
export function parseLabelSelector(selector: string): LabelSelectorRequirements {
  const reqs = new Parser(lex(selector)).parse();
  return { requirements: sortByKey(reqs) };
}

function sortByKey(reqs: Requirement[]): Requirement[] {
  // sort.Sort is not stable, but equal keys keep input order here, which is what users expect.
  return [...reqs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function matchRequirement(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const val = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(val as string);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(val as string);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^[-+]?\d+$/.test(val as string) || r.values.length !== 1) return false;
      const lv = BigInt(val as string);
      const rv = BigInt(r.values[0]);
      return r.operator === 'gt' ? lv > rv : lv < rv;
    }
  }
}

/** Whether the labels satisfy every requirement (an empty selector matches everything). */
export function matches(selector: LabelSelectorRequirements, labels: Record<string, string> | undefined | null): boolean {
  if (selector.nothing) return false;
  const ls = labels ?? {};
  return selector.requirements.every((r) => matchRequirement(r, ls));
}

/** True when the selector does not restrict anything. */
export function isEverything(selector: LabelSelectorRequirements): boolean {
  return !selector.nothing && selector.requirements.length === 0;
}

/**
 * metav1.LabelSelectorAsSelector: matchLabels become `=`, matchExpressions In/NotIn/Exists/DoesNotExist.
 * A null/undefined selector selects nothing; an empty one selects everything.
 * Throws SelectorParseError with Kubernetes' text for an unknown operator or bad values.
 */
export function fromLabelSelector(ls: LabelSelector | null | undefined): LabelSelectorRequirements {
  if (ls == null) return { requirements: [], nothing: true };
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(ls.matchLabels ?? {})) reqs.push(wrap(() => newRequirement(checkKey(k), '=', [v])));
  for (const expr of ls.matchExpressions ?? []) {
    const ops: Record<string, SelectorOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };
    const op = ops[expr.operator];
    if (!op) throw new SelectorParseError(`${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    reqs.push(wrap(() => newRequirement(checkKey(expr.key), op, [...new Set(expr.values ?? [])].sort())));
  }
  return { requirements: sortByKey(reqs) };
}

function checkKey(key: string): string {
  const errs = isQualifiedName(key);
  if (errs.length) throw new Error(`key: Invalid value: ${JSON.stringify(key)}: ${errs.join('; ')}`);
  return key;
}

function wrap(f: () => Requirement): Requirement {
  try {
    return f();
  } catch (e) {
    throw new SelectorParseError((e as Error).message);
  }
}

/** A selector matching exactly this set of labels (labels.SelectorFromSet). */
export function fromSet(set: Record<string, string> | undefined | null): LabelSelectorRequirements {
  return { requirements: sortByKey(Object.entries(set ?? {}).map(([key, v]) => ({ key, operator: '=' as const, values: [v] }))) };
}

function requirementToString(r: Requirement): string {
  const opText: Record<SelectorOperator, string> = { '=': '=', '==': '==', '!=': '!=', in: ' in ', notin: ' notin ', gt: '>', lt: '<', exists: '', '!': '' };
  const head = (r.operator === '!' ? '!' : '') + r.key;
  if (r.operator === 'exists' || r.operator === '!') return head;
  const vals = [...r.values].sort().join(',');
  return r.operator === 'in' || r.operator === 'notin' ? `${head}${opText[r.operator]}(${vals})` : `${head}${opText[r.operator]}${vals}`;
}

/** Kubernetes' canonical string (Selector.String()): requirements sorted by key, joined by ','. */
export function selectorToString(selector: LabelSelectorRequirements): string {
  return selector.requirements.map(requirementToString).join(',');
}

/** metav1.LabelSelectorAsSelector(ls).String(), or undefined where Go returns an error. */
export function labelSelectorString(ls: LabelSelector | null | undefined): string | undefined {
  try {
    return selectorToString(fromLabelSelector(ls));
  } catch {
    return undefined;
  }
}

/** metav1.FormatLabelSelector: `<error>` on error, `<none>` for an empty selector, as `kubectl get -o wide` shows. */
export function formatLabelSelector(ls: LabelSelector | null | undefined): string {
  const s = labelSelectorString(ls);
  if (s === undefined) return '<error>';
  return s === '' ? '<none>' : s;
}
