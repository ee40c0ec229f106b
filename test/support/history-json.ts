import { createRequire } from 'node:module';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

/**
 * Temporal histories as proto JSON (the format `temporal workflow show --output json` and the web
 * UI's download write), for the replay fixtures in test/workflows/fixtures/histories.
 *
 * Why not `historyToJSON` / `historyFromJSON` from @temporalio/common: in this install
 * @temporalio/common, @temporalio/proto and @temporalio/worker each get a nested copy of
 * protobufjs 8 (the hoisted one is @grpc/proto-loader's protobufjs 7), and common's protojson
 * checks `type instanceof Type` against its own copy while the History type comes from
 * @temporalio/proto's: both throw "type must be a Type" — and so does `Worker.runReplayHistory`
 * given a JSON history, since it calls `historyFromJSON`. These use the protojson of the very
 * protobufjs copy @temporalio/proto was built with, which is right whatever npm's layout.
 */
type History = proto.temporal.api.history.v1.IHistory;

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const protojson = createRequire(require.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as ProtoJson;
// The generated module's types lack lookupType; patchProtobufRoot makes the root a reflective one.
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

/** A fetched history as pretty-printed proto JSON. */
export function historyToJSON(history: History): string {
  return JSON.stringify(protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)), null, 2);
}

/**
 * Proto JSON back to a History (event ids as Longs, which `Worker.runReplayHistories` takes as is).
 * Fields a newer server or SDK added are ignored, as @temporalio/common does.
 */
export function historyFromJSON(json: unknown): History {
  const history = protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History | null;
  if (!history?.events?.length) throw new TypeError('not a Temporal history: no events');
  return history;
}
