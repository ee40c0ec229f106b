import { ApiProperty } from '@nestjs/swagger';

export const PRINCIPAL_KINDS = ['admin', 'ingest', 'tenant'] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

/** Who the presented token is: what the console asks first, to know which pages to show. */
export class WhoamiView {
  @ApiProperty({
    enum: PRINCIPAL_KINDS,
    description: '`admin`: everything; `ingest`: may only post events; `tenant`: one tenant (a portal session)',
    example: 'admin',
  })
  kind: PrincipalKind;

  @ApiProperty({ description: 'The tenant a `tenant` token is bound to; null otherwise', nullable: true, type: String, example: null })
  tenantId: string | null;

  @ApiProperty({
    description: 'When the token stops working; null for configured tokens, which do not expire',
    nullable: true,
    type: String,
    format: 'date-time',
    example: null,
  })
  expiresAt: string | null;
}
