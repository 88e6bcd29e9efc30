import { Migration } from '@mikro-orm/migrations';

/** The hourly cleanup finds expired and ended sessions by index, not by scanning every session. */
export class Migration20261202100000_portal_session_cleanup_idx extends Migration {

  override name = 'Migration20261202100000_portal_session_cleanup_idx';

  override up(): void | Promise<void> {
    this.addSql(`create index "portal_sessions_expires_idx" on "portal_sessions" ("expires_at");`);
    this.addSql(`create index "portal_sessions_ended_idx" on "portal_sessions" ("ended_at") where "ended_at" is not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "portal_sessions_ended_idx";`);
    this.addSql(`drop index "portal_sessions_expires_idx";`);
  }

}
