import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** One customer of the platform. Its id is the platform's own (libs/domain/tenants.ts). */
@Entity('tenants')
export class Tenant {
  @PrimaryColumn('text') id: string;
  @Column('text') name: string;
  @Column('jsonb', { default: () => "'{}'" }) metadata: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
