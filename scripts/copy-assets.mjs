// tsc does not copy data files: mirror src/**/*.json into dist/ after the build.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.json')) cpSync(path, path.replace(/^src/, 'dist'));
  }
}
walk('src');
