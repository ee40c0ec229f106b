import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Stores } from '../../../../libs/db/repositories';
import { hasPlaintextValues, sealPlaintextValues } from '../../../../libs/delivery/header-values';
import type { SecretBox } from '../../../../libs/delivery/secret-box';
import { SECRET_BOX } from '../infrastructure/infrastructure.module';
import { STORES } from '../infrastructure/tokens';

const BATCH = 100;

/**
 * Seals custom header values stored in plaintext before they were sealed. Not a migration: it
 * needs HERALD_SECRET_KEY, which the migration CLI and the test databases do not have. Reads
 * accept plaintext meanwhile, and every write seals, so the sweep only shortens how long an old
 * value stays readable in Postgres. It runs once at API start-up, in the background; API
 * instances racing on a row are harmless (a row is only replaced if unchanged since read).
 */
@Injectable()
export class HeaderSealingService implements OnApplicationBootstrap {
  private readonly logger = new Logger('HeaderSealing');

  constructor(
    @Inject(STORES) private readonly stores: Pick<Stores, 'subscriptions'>,
    @Inject(SECRET_BOX) private readonly secretBox: SecretBox,
  ) {}

  onApplicationBootstrap(): void {
    // Detached: start-up and /ready must not wait on it; a failure leaves values for the next start.
    this.sealLegacyHeaderValues().catch((err: unknown) =>
      this.logger.warn(`sealing plaintext custom header values failed (${(err as Error).message}); reads still accept them, the next start retries`),
    );
  }

  /** Seals every plaintext value; how many subscriptions were rewritten. */
  async sealLegacyHeaderValues(): Promise<number> {
    let sealed = 0;
    let after: string | null = null;
    for (;;) {
      const rows = await this.stores.subscriptions.listWithPlaintextHeaderValues(after, BATCH);
      for (const row of rows) {
        if (!hasPlaintextValues(row.headers)) continue;
        const headers = sealPlaintextValues(row.headers, (v) => this.secretBox.seal(v));
        if (await this.stores.subscriptions.replaceHeadersIfUnchanged(row.id, row.headers, headers)) sealed++;
      }
      if (rows.length < BATCH) break;
      after = rows[rows.length - 1].id;
    }
    if (sealed > 0) this.logger.log(`sealed the plaintext custom header values of ${sealed} subscription(s)`);
    return sealed;
  }
}
