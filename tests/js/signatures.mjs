// One ListStages call signed by the JS SDK v3: argv = endpoint, access key id, secret, region.
// Prints what the SDK saw as JSON, for tests/test_signatures_clients.py to check.
import { IVSRealTimeClient, ListStagesCommand } from "@aws-sdk/client-ivs-realtime";

const [endpoint, accessKeyId, secretAccessKey, region] = process.argv.slice(2);
const client = new IVSRealTimeClient({
  endpoint, region, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1,
});
try {
  const listed = await client.send(new ListStagesCommand({}));
  console.log(JSON.stringify({ ok: true, stages: listed.stages.length }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, name: e.name, status: e.$metadata?.httpStatusCode, message: e.message }));
}
