#!/usr/bin/env node
// Runs a build command only when its output is missing or older than any of its inputs:
//   node scripts/if-stale.mjs <output stamp> <input path>... -- <command...>
// The stamp is written after the command succeeds, so a failed or interrupted build runs again.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const split = args.indexOf('--');
if (split < 2) throw new Error('usage: if-stale.mjs <stamp> <input>... -- <command...>');
const [stamp, ...inputs] = args.slice(0, split);
const command = args.slice(split + 1);

const newest = (path) => {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).filter((n) => n !== 'node_modules').map((n) => newest(join(path, n))));
};

const built = existsSync(stamp) ? statSync(stamp).mtimeMs : -1;
if (built >= Math.max(...inputs.map(newest))) process.exit(0);
const run = spawnSync(command[0], command.slice(1), { stdio: 'inherit', shell: process.platform === 'win32' });
if (run.status !== 0) process.exit(run.status ?? 1);
writeFileSync(stamp, `${new Date().toISOString()}\n`);
