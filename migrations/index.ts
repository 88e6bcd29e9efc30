import type { Constructor } from '@mikro-orm/core';
import type { Migration } from '@mikro-orm/migrations';
import { Migration20261122083634 } from './Migration20261122083634';
import { Migration20261122083700_seed_plans } from './Migration20261122083700_seed_plans';
import { Migration20261122091228_audit_usage } from './Migration20261122091228_audit_usage';
import { Migration20261201194146_audit_verifications } from './Migration20261201194146_audit_verifications';
import { Migration20261201194426_portal_sessions } from './Migration20261201194426_portal_sessions';
import { Migration20261201201402_webhooks } from './Migration20261201201402_webhooks';
import { Migration20261201210000_expiry_notices } from './Migration20261201210000_expiry_notices';
import { Migration20261202090000_chain_head_functions } from './Migration20261202090000_chain_head_functions';
import { Migration20261202100000_portal_session_cleanup_idx } from './Migration20261202100000_portal_session_cleanup_idx';

/** Every migration, oldest first. `npm run migration:create` writes a new file here; add it to this list. */
export const migrationsList: { name: string; class: Constructor<Migration> }[] = [
  { name: 'Migration20261122083634', class: Migration20261122083634 },
  { name: 'Migration20261122083700_seed_plans', class: Migration20261122083700_seed_plans },
  { name: 'Migration20261122091228_audit_usage', class: Migration20261122091228_audit_usage },
  { name: 'Migration20261201194146_audit_verifications', class: Migration20261201194146_audit_verifications },
  { name: 'Migration20261201194426_portal_sessions', class: Migration20261201194426_portal_sessions },
  { name: 'Migration20261201201402_webhooks', class: Migration20261201201402_webhooks },
  { name: 'Migration20261201210000_expiry_notices', class: Migration20261201210000_expiry_notices },
  { name: 'Migration20261202090000_chain_head_functions', class: Migration20261202090000_chain_head_functions },
  { name: 'Migration20261202100000_portal_session_cleanup_idx', class: Migration20261202100000_portal_session_cleanup_idx },
];
