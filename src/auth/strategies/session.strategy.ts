import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import passport from 'passport';
import type { AuthOutcome } from '../../keys/key-authenticator.service';
import { sessionCookie } from '../../portal/session-cookie';
import { SessionAuthenticator } from '../../portal/session-authenticator.service';

export const SESSION_STRATEGY = 'portal-session';

type Verify = (token: string, done: (err: unknown, outcome?: AuthOutcome) => void) => void;

/** Reads the console's session cookie; without one it fails, and the guard answers that a credential is missing. */
class SessionCookieStrategy extends passport.Strategy {
  constructor(private readonly verify: Verify) {
    super();
  }

  override authenticate(request: unknown): void {
    const token = sessionCookie(request as FastifyRequest);
    if (token === null) return this.fail();
    this.verify(token, (err, outcome) => (err ? this.error(err) : this.success(outcome!)));
  }
}

/** Last in the guard's list: a request with an API key header never reaches it, so its cookie is ignored. */
@Injectable()
export class SessionStrategy extends PassportStrategy(SessionCookieStrategy, SESSION_STRATEGY) {
  constructor(private readonly sessions: SessionAuthenticator) {
    super();
  }

  validate(token: string): Promise<AuthOutcome> {
    return this.sessions.authenticate(token);
  }
}
