/** Plain line logging to stderr: info always, debug with --debug. */
export interface Logger {
  info(msg: string): void;
  debug(msg: string): void;
  error(msg: string): void;
}

export function createLogger(opts: { verbose: boolean }): Logger {
  const line = (level: string, msg: string) => process.stderr.write(`${new Date().toISOString()} ${level} ${msg}\n`);
  return {
    info: (m) => line('INFO', m),
    debug: (m) => (opts.verbose ? line('DEBUG', m) : undefined),
    error: (m) => line('ERROR', m),
  };
}
