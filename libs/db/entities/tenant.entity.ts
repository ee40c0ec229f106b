import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** One customer of the platform. Its id is the platform's own (libs/domain/tenants.ts). */
@Entity('tenants')
export class Tenant {
  @PrimaryColumn('text') id: string;
  @Column('text') name: string;
  @Column('jsonb', { default: () => "'{}'" }) metadata: Record<string, unknown>;
  /** Its share under contention (1–100): at the dispatcher and as its fairness weight on Temporal's task queue. */
  @Column('integer', { default: 1 }) weight: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
