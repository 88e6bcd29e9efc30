import { ApiProperty } from '@nestjs/swagger';
import type { PortalUser } from '../../common/auth/principal';
import type { PortalSession } from '../portal-session.entity';

export class PortalUserDto {
  @ApiProperty({ example: 'user_8812' }) id!: string;
  @ApiProperty({ type: String, nullable: true }) email!: string | null;
  @ApiProperty({ type: String, nullable: true }) name!: string | null;
}

/** A portal session as the operator lists it. Never its code or cookie token. */
export class PortalSessionDto {
  @ApiProperty({ example: 'ps_2bX9kQ2xLm4Nc8Vt0aZp3r' }) id!: string;
  @ApiProperty() account_id!: string;
  @ApiProperty({ type: PortalUserDto }) user!: PortalUserDto;
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({ type: String, nullable: true }) return_url!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time', description: 'Until when the sign-in link works (once)' }) code_expires_at!: string;
  @ApiProperty({ format: 'date-time', description: 'When the session ends, whatever happens' }) expires_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the link was used; null while it has not been' })
  redeemed_at!: string | null;

  static from(s: PortalSession): PortalSessionDto {
    return {
      id: s.id,
      account_id: s.account.id,
      user: userOf(s),
      scopes: s.scopes,
      return_url: s.returnUrl,
      created_at: s.createdAt.toISOString(),
      code_expires_at: s.codeExpiresAt.toISOString(),
      expires_at: s.expiresAt.toISOString(),
      redeemed_at: s.redeemedAt?.toISOString() ?? null,
    };
  }
}

export class CreatedPortalSessionDto extends PortalSessionDto {
  @ApiProperty({ example: 'https://keys.example.com/console/#code=pst_…', description: 'The sign-in link: send the person there. It works once.' })
  url!: string;
}

class SignedInSessionDto {
  @ApiProperty({ example: 'ps_2bX9kQ2xLm4Nc8Vt0aZp3r' }) id!: string;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
  @ApiProperty({ type: PortalUserDto }) user!: PortalUserDto;
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({ type: String, nullable: true }) return_url!: string | null;
}

class SignedInAccountDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'pro' }) plan!: string;
}

/** What a redeemed link signs in to; the cookie comes with it. */
export class RedeemedPortalSessionDto {
  @ApiProperty({ type: SignedInSessionDto }) session!: SignedInSessionDto;
  @ApiProperty({ type: SignedInAccountDto }) account!: SignedInAccountDto;
}

export const userOf = (s: PortalSession): PortalUser => ({ id: s.userId, email: s.userEmail, name: s.userName });
