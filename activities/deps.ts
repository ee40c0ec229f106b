import type { DataSource } from 'typeorm';
import type { HttpSender } from '../libs/delivery/http-sender';
import type { SecretBox } from '../libs/delivery/secret-box';

/** What the activities need from the outside world, passed in so tests can hand in real or fake parts. */
export interface ActivityDeps {
  dataSource: DataSource;
  sender: HttpSender;
  secretBox: SecretBox;
  /** Herald's version, sent in the user-agent. */
  version: string;
  clock?: () => Date;
}
