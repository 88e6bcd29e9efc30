import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The SDK package's committed types (packages/sdk/src/schema.d.ts) must be what openapi-typescript
 * makes of the committed openapi.json today; `npm run sdk:generate` (also run by `npm run openapi`)
 * rewrites them.
 */
const root = join(__dirname, '..');
const committedSchema = join(root, 'packages', 'sdk', 'src', 'schema.d.ts');
const cli = join(root, 'node_modules', 'openapi-typescript', 'bin', 'cli.js');

function generate(documentPath: string, out: string): string {
  // The same flags as the sdk:generate script.
  execFileSync(process.execPath, [cli, documentPath, '--default-non-nullable', 'false', '-o', out], { cwd: root, stdio: 'pipe' });
  return readFileSync(out, 'utf8');
}

describe('SDK schema drift (e2e)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-sdk-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the committed schema is what openapi.json generates (run `npm run sdk:generate` if not)', () => {
    const fresh = generate(join(root, 'openapi.json'), join(dir, 'schema.d.ts'));
    expect(readFileSync(committedSchema, 'utf8') === fresh).toBe(true);
  });

  it('a document that lost a route no longer matches the committed schema', () => {
    const document = JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8')) as { paths: Record<string, unknown> };
    delete document.paths['/v1/api-keys/{id}/revoke'];
    writeFileSync(join(dir, 'changed.json'), JSON.stringify(document));
    const changed = generate(join(dir, 'changed.json'), join(dir, 'changed.d.ts'));
    expect(changed).not.toBe(readFileSync(committedSchema, 'utf8'));
    expect(changed).not.toContain('"/v1/api-keys/{id}/revoke"');
  });
});
