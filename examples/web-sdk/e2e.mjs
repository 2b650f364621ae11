// An end-to-end test of a web app built on the IVS Web Broadcast SDK, against
// ivs-realtime-emulator started with its data plane (docs/web-apps.md). Copy it into your own
// tests: replace page.html and app.js by your app, keep the rest.
//
//   ivs-realtime-emulator --data-plane &          # the API on :4599, the data plane on :4600
//   npm install && node e2e.mjs                   # EMULATOR_URL, CHROMIUM to change the defaults
//
// Inside a network namespace whose only interface is loopback nothing can leave the machine:
//   sudo unshare --net sh -c 'ip link set lo up && ivs-realtime-emulator --data-plane & sleep 2; node e2e.mjs'
import { mkdtemp, readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CreateParticipantTokenCommand,
  CreateStageCommand,
  GetParticipantCommand,
  IVSRealTimeClient,
  ListStageSessionsCommand,
} from "@aws-sdk/client-ivs-realtime";
import puppeteer from "puppeteer-core";

const EMULATOR_URL = process.env.EMULATOR_URL ?? "http://127.0.0.1:4599";
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const here = dirname(fileURLToPath(import.meta.url));

// 1. What your backend does, as usual: a stage and a token per participant (on the emulator).
const ivs = new IVSRealTimeClient({
  endpoint: EMULATOR_URL,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});
const { stage } = await ivs.send(new CreateStageCommand({ name: "e2e" }));
const mint = async (userId, capabilities) =>
  (await ivs.send(new CreateParticipantTokenCommand({ stageArn: stage.arn, userId, capabilities })))
    .participantToken;
const host = await mint("host", ["PUBLISH", "SUBSCRIBE"]);
const viewer = await mint("viewer", ["SUBSCRIBE"]);

// 2. Your page on 127.0.0.1 (a secure context, so the camera is allowed), the SDK from npm.
const files = {
  "/": [join(here, "page.html"), "text/html"],
  "/app.js": [join(here, "app.js"), "text/javascript"],
  "/sdk.js": [createRequire(import.meta.url).resolve("amazon-ivs-web-broadcast"), "text/javascript"],
};
const server = createServer(async (request, response) => {
  const file = files[new URL(request.url, "http://x").pathname];
  if (!file) return response.writeHead(404).end();
  response.writeHead(200, { "Content-Type": file[1] }).end(await readFile(file[0]));
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const page = (token, publish) =>
  `http://127.0.0.1:${server.address().port}/?publish=${publish ? 1 : 0}&token=${token}`;

// 3. Headless Chromium with a fake camera and microphone; WebRTC allowed over loopback; every
//    host name refused, so that nothing but 127.0.0.1 is reached (the SDK's telemetry fails).
const browser = await puppeteer.launch({
  executablePath: CHROMIUM,
  headless: true,
  pipe: true,
  userDataDir: await mkdtemp(join(tmpdir(), "e2e-chromium-")),
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
  ],
});
try {
  const hostPage = await browser.newPage();
  await hostPage.goto(page(host.token, true));
  await hostPage.waitForFunction(() => document.body.dataset.publish === "published", {
    timeout: 30000,
  });
  const viewerPage = await browser.newPage();
  await viewerPage.goto(page(viewer.token, false));
  const size = await viewerPage.waitForFunction(
    () => [...document.querySelectorAll("video")].map((v) => v.videoWidth).find((w) => w > 0),
    { timeout: 30000 },
  );

  // 4. The control plane agrees with what the pages show.
  const { stageSessions } = await ivs.send(new ListStageSessionsCommand({ stageArn: stage.arn }));
  const { participant } = await ivs.send(
    new GetParticipantCommand({
      stageArn: stage.arn,
      sessionId: stageSessions[0].sessionId,
      participantId: host.participantId,
    }),
  );
  if (!participant.published) throw new Error("the host is not published in GetParticipant");
  console.log(`ok: the host published, the viewer renders ${await size.jsonValue()} px wide video`);
} finally {
  await browser.close();
  server.close();
}
