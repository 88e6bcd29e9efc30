import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/configuration';

export const SESSION_COOKIE = 'lk_session';
const NAMED = /(?:^|;)\s*lk_session\s*=/g;

/** HttpOnly (no script reads it), SameSite=Strict (no other site sends it), Secure under an https PUBLIC_URL. */
export function setSessionCookie(reply: FastifyReply, config: AppConfig['portal'], token: string, expiresAt: Date): void {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  void reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/', secure: config.secureCookie, maxAge });
}

export function clearSessionCookie(reply: FastifyReply, config: AppConfig['portal']): void {
  void reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/', secure: config.secureCookie });
}

/**
 * The session cookie's value: null when there is none (or it is empty), '' when it is ambiguous
 * (sent twice, as a cookie set by a sibling domain would be), which no session matches.
 */
export function sessionCookie(request: FastifyRequest): string | null {
  const header = request.headers.cookie;
  if (typeof header !== 'string' || !header.includes(SESSION_COOKIE)) return null;
  if ((header.match(NAMED)?.length ?? 0) > 1) return '';
  const value = request.server.parseCookie(header)[SESSION_COOKIE];
  return value ? value : null;
}
