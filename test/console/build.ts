import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_DIST } from '../../src/console/console.module';

/** `npm test` builds the console before jest; a spec run on its own builds it here when dist has none. */
export function ensureConsoleBuilt(): void {
  if (existsSync(join(CONSOLE_DIST, 'index.html'))) return;
  const root = join(__dirname, '..', '..');
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(join(root, 'packages', 'sdk', 'dist', 'index.mjs'))) {
    execFileSync(process.execPath, [vite, 'build', '--config', 'vite.config.mts'], { cwd: join(root, 'packages', 'sdk'), stdio: 'pipe' });
  }
  execFileSync(process.execPath, [vite, 'build', '--config', 'console/vite.config.mts'], { cwd: root, stdio: 'pipe' });
}
