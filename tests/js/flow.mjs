// Drives the emulator with the JS SDK v3: argv[2] is the endpoint URL.
// Prints one JSON object with what the SDK saw, for tests/test_js_sdk.py to check.
import {
  IVSRealTimeClient,
  CreateStageCommand,
  CreateParticipantTokenCommand,
  GetStageCommand,
} from "@aws-sdk/client-ivs-realtime";

const client = new IVSRealTimeClient({
  endpoint: process.argv[2],
  region: "eu-central-1",
  credentials: { accessKeyId: "333344445555", secretAccessKey: "test" },
  maxAttempts: 1,
});

const out = {};
const created = await client.send(new CreateStageCommand({ name: "js-stage", tags: { sdk: "js" } }));
out.stage = created.stage;
const issued = await client.send(
  new CreateParticipantTokenCommand({ stageArn: created.stage.arn, userId: "js", duration: 30 }),
);
out.participantToken = { ...issued.participantToken, expirationTime: issued.participantToken.expirationTime.toISOString() };
try {
  await client.send(new GetStageCommand({ arn: "arn:aws:ivs:eu-central-1:333344445555:stage/missing" }));
  out.error = null;
} catch (e) {
  out.error = { name: e.name, exceptionMessage: e.exceptionMessage, status: e.$metadata.httpStatusCode };
}
try {
  await client.send(new CreateParticipantTokenCommand({ stageArn: created.stage.arn, duration: 20161 }));
  out.validation = null;
} catch (e) {
  out.validation = { name: e.name, exceptionMessage: e.exceptionMessage, status: e.$metadata.httpStatusCode };
}
console.log(JSON.stringify(out));
