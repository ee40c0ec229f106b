import { ApiProperty } from '@nestjs/swagger';
import type { Tenant } from '../../../../../libs/db/entities';
import { PageMeta } from '../../common/pagination';

export class TenantView {
  @ApiProperty({ description: "The platform's own identifier for this customer", example: 'ws_4821' })
  id: string;

  @ApiProperty({ example: 'Acme Studio' })
  name: string;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { plan: 'pro' } })
  metadata: Record<string, unknown>;

  @ApiProperty({ description: 'Its share under contention, 1 to 100 (docs/architecture.md, *Fairness*)', minimum: 1, maximum: 100, example: 1 })
  weight: number;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-11-23T10:00:00.000Z' })
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-11-23T10:00:00.000Z' })
  updatedAt: Date;
}

export class TenantPage extends PageMeta {
  @ApiProperty({ type: [TenantView] })
  data: TenantView[];
}

export function toTenantView(t: Tenant): TenantView {
  return { id: t.id, name: t.name, metadata: t.metadata, weight: t.weight, createdAt: t.createdAt, updatedAt: t.updatedAt };
}
