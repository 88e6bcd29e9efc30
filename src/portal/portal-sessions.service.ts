import { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { Account, AccountStatus } from '../accounts/account.entity';
import { AuditAction } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import type { Principal, RequestActor } from '../common/auth/principal';
import { ActionMessage, Paginated } from '../common/http/envelope';
import { afterCursor, toPage } from '../common/http/cursor';
import { diffChanges } from '../common/http/diff-changes';
import type { ListQueryDto } from '../common/http/list-query.dto';
import { DomainException, notFound } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { RequestLimiter } from '../common/rate-limit/request-limiter';
import type { AppConfig } from '../config/configuration';
import { AuthFailedEvent } from '../keys/events/auth-failed.event';
import type { CreatePortalSessionDto } from './dto/portal-session-input.dto';
import { type CreatedPortalSessionDto, PortalSessionDto, type RedeemedPortalSessionDto } from './dto/portal-session.dto';
import { PortalSession, type PortalSessionEndReason } from './portal-session.entity';
import { CODE_SHAPE, newCode, newSessionId, newToken, PortalHasher } from './portal-secrets';
import { returnUrl, sessionExpiry, sessionScopes } from './portal-session-rules';

const ACCOUNT_ID = /^acct_[0-9A-Za-z]{22}$/;
const SESSION_ID = /^ps_[0-9A-Za-z]{22}$/;
/** A sign-in link works once, for at most this long (and never past the session's own end). */
const CODE_LIFETIME_MS = 10 * 60_000;
export const INVALID_LINK_MESSAGE = 'This sign-in link is invalid or has expired.';

interface RedeemedRow {
  id: string;
  user_id: string;
  user_email: string | null;
  user_name: string | null;
  scopes: string[];
  return_url: string | null;
  expires_at: Date | string;
  account_id: string;
  account_name: string;
  plan_slug: string;
}

// One statement takes the code: of two concurrent redeems the second finds code_hash already cleared.
const REDEEM = `
  update portal_sessions s set code_hash = null, token_hash = ?, redeemed_at = ?
    from accounts a
   where s.code_hash = ? and s.code_expires_at > ? and s.expires_at > ? and s.ended_at is null
     and a.id = s.account_id and a.status = 'active'
  returning s.id, s.user_id, s.user_email, s.user_name, s.scopes, s.return_url, s.expires_at,
            a.id as account_id, a.name as account_name, a.plan_slug`;

const END = `
  update portal_sessions set ended_at = ?, ended_reason = ?, code_hash = null, token_hash = null
   where ended_at is null and expires_at > ? and %WHERE%
  returning id, account_id, user_id`;

/** Who redeems a link: known only by where the request comes from, until the code names the person. */
export interface Client {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** Portal sessions: made by the operator for a person, redeemed once into a cookie, ended by logout, the operator or suspension. */
@Injectable()
export class PortalSessionsService {
  private readonly publicUrl: string;

  constructor(
    private readonly em: EntityManager,
    private readonly hasher: PortalHasher,
    private readonly audit: AuditService,
    private readonly limiter: RequestLimiter,
    private readonly events: EventEmitter2,
    config: ConfigService<AppConfig, true>,
  ) {
    this.publicUrl = config.get('portal', { infer: true }).publicUrl;
  }

  async create(accountId: string, input: CreatePortalSessionDto, caller: Principal, actor: RequestActor): Promise<CreatedPortalSessionDto> {
    const back = input.return_url === undefined ? null : returnUrl(input.return_url);
    return this.em.transactional(async (em) => {
      const account = ACCOUNT_ID.test(accountId) ? await em.findOne(Account, { id: accountId }) : null;
      if (!account) throw notFound('Account');
      if (account.status !== AccountStatus.Active) {
        throw new DomainException(ErrorCode.Conflict, "The account is suspended; reactivate it before opening its console.");
      }
      const scopes = sessionScopes(caller, account.isOperator, input.scopes);
      const now = new Date();
      const expiresAt = sessionExpiry(caller, input.ttl_seconds, now);
      const code = newCode();
      const session = em.create(PortalSession, {
        id: newSessionId(),
        account,
        userId: input.user.id,
        userEmail: input.user.email ?? null,
        userName: input.user.name ?? null,
        scopes,
        returnUrl: back,
        codeHash: this.hasher.hash(code),
        codeExpiresAt: new Date(Math.min(now.getTime() + CODE_LIFETIME_MS, expiresAt.getTime())),
        createdAt: now,
        expiresAt,
      });
      const dto = PortalSessionDto.from(session);
      await this.audit.record(em, {
        accountId: account.id,
        action: AuditAction.PortalSessionCreated,
        target: { type: 'portal_session', id: session.id },
        actor,
        changes: diffChanges({}, dto),
      });
      return { ...dto, url: `${this.publicUrl}/console/#code=${code}` };
    });
  }

  /** Takes a one-time code and returns the session it signs in to, with the cookie token (shown only to the cookie). */
  async redeem(code: string, client: Client): Promise<{ session: RedeemedPortalSessionDto; token: string; expiresAt: Date }> {
    const token = newToken();
    const now = new Date();
    const row = CODE_SHAPE.test(code)
      ? await this.em.transactional(async (em) => {
          const [taken] = await em
            .getConnection()
            .execute<RedeemedRow[]>(REDEEM, [this.hasher.hash(token), now, this.hasher.hash(code), now, now], 'all', em.getTransactionContext());
          if (taken) {
            await this.audit.record(em, {
              accountId: taken.account_id,
              action: AuditAction.PortalSessionRedeemed,
              target: { type: 'portal_session', id: taken.id },
              actor: { type: 'user', id: taken.user_id, sessionId: taken.id, ...client },
            });
          }
          return taken;
        })
      : undefined;
    if (!row) throw await this.invalidLink(client.ip);
    const expiresAt = new Date(row.expires_at);
    return {
      token,
      expiresAt,
      session: {
        session: {
          id: row.id,
          expires_at: expiresAt.toISOString(),
          user: { id: row.user_id, email: row.user_email, name: row.user_name },
          scopes: row.scopes,
          return_url: row.return_url,
        },
        account: { id: row.account_id, name: row.account_name, plan: row.plan_slug },
      },
    };
  }

  async get(id: string): Promise<PortalSessionDto> {
    const session = SESSION_ID.test(id) ? await this.em.findOne(PortalSession, { id, endedAt: null }) : null;
    if (!session) throw notFound('Portal session');
    return PortalSessionDto.from(session);
  }

  /** Sessions of the account that can still be used: not ended, not expired, and redeemed or with a link still valid. */
  async list(accountId: string, query: ListQueryDto): Promise<Paginated<PortalSessionDto>> {
    if (!ACCOUNT_ID.test(accountId) || !(await this.em.count(Account, { id: accountId }))) throw notFound('Account');
    const now = new Date();
    const rows = await this.em.find(
      PortalSession,
      {
        $and: [
          { account: accountId, endedAt: null, expiresAt: { $gt: now } },
          { $or: [{ redeemedAt: { $ne: null } }, { codeExpiresAt: { $gt: now } }] },
          afterCursor(query.cursor),
        ],
      },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: query.limit + 1 },
    );
    const page = toPage(rows, query.limit);
    return new Paginated(page.items.map(PortalSessionDto.from), page.nextCursor);
  }

  /** Ends one live session (logout or the operator); an unknown, ended or expired one is not found. */
  async end(id: string, reason: PortalSessionEndReason, actor: RequestActor): Promise<ActionMessage> {
    const ended = SESSION_ID.test(id) && (await this.em.transactional((em) => this.endWhere(em, 'id = ?', id, reason, actor))) > 0;
    if (!ended) throw notFound('Portal session');
    return new ActionMessage(reason === 'logout' ? 'Signed out.' : 'Portal session ended.');
  }

  /** Ends every live session of an account, inside the caller's transaction (a suspension). */
  endAll(em: EntityManager, accountId: string, reason: PortalSessionEndReason, actor: RequestActor): Promise<number> {
    return this.endWhere(em, 'account_id = ?', accountId, reason, actor);
  }

  private async endWhere(em: EntityManager, where: string, value: string, reason: PortalSessionEndReason, actor: RequestActor): Promise<number> {
    const now = new Date();
    const rows = await em
      .getConnection()
      .execute<{ id: string; account_id: string }[]>(END.replace('%WHERE%', where), [now, reason, now, value], 'all', em.getTransactionContext());
    for (const row of rows) {
      await this.audit.record(em, {
        accountId: row.account_id,
        action: AuditAction.PortalSessionEnded,
        target: { type: 'portal_session', id: row.id },
        actor,
        changes: { ended_reason: { before: null, after: reason } },
      });
    }
    return rows.length;
  }

  /** The one answer for unknown, expired and used codes, counted against the IP like an invalid key. */
  private async invalidLink(ip: string | null): Promise<DomainException> {
    this.events.emit(AuthFailedEvent.eventName, new AuthFailedEvent(ErrorCode.Unauthorized, ip, null, null, new Date()));
    return (await this.limiter.countRefusal(ip ?? undefined, ErrorCode.Unauthorized)) ?? new DomainException(ErrorCode.Unauthorized, INVALID_LINK_MESSAGE);
  }
}
