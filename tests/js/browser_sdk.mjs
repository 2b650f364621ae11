// A web page that calls the emulator through the JS SDK v3, in headless Chromium
// (playwright-core, the system's browser); driven by tests/test_browser_sdk.py.
//
//   node browser_sdk.mjs ENDPOINT
//
// Bundles @aws-sdk/client-ivs-realtime for the browser with esbuild (one ES module, built here,
// nothing downloaded), serves it with an empty page from 127.0.0.1 on a port of its own (so the
// page is of another origin than the emulator and every call needs a CORS preflight), opens
// the page and, inside it, signs calls with SigV4 session credentials for account 444455556666
// in eu-west-1: CreateStage, ListTagsForResource (GET /tags/{arn}) and a GetStage of a stage
// that does not exist. Prints one JSON object: {"origin", "userAgent", "stage", "tags",
// "notFound": {"name", "exceptionMessage", "status"}, "errors" (page and console errors)}.
// CHROMIUM names the browser (default /usr/bin/chromium).
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";

const endpoint = process.argv[2];
if (!endpoint) {
  console.error("usage: node browser_sdk.mjs ENDPOINT");
  process.exit(2);
}

const bundled = await build({
  stdin: {
    contents: 'export * from "@aws-sdk/client-ivs-realtime";',
    resolveDir: path.dirname(fileURLToPath(import.meta.url)),
  },
  bundle: true,
  format: "esm",
  platform: "browser",
  write: false,
  logLevel: "error",
});
const files = {
  "/": ["text/html", "<!doctype html><meta charset=utf-8><title>IVS in a page</title>"],
  "/sdk.js": ["text/javascript", bundled.outputFiles[0].contents],
  "/favicon.ico": ["image/x-icon", ""],
};
const site = http.createServer((request, response) => {
  const file = files[new URL(request.url, "http://page").pathname];
  if (!file) {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, { "Content-Type": file[0] }).end(file[1]);
});
await new Promise((resolve) => site.listen(0, "127.0.0.1", resolve));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  timeout: 30000,
  args: ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("console", (message) => { if (message.type() === "error") errors.push(message.text()); });
  await page.goto(`http://127.0.0.1:${site.address().port}/`);
  const seen = await page.evaluate(async (endpoint) => {
    const sdk = await import("/sdk.js");
    const client = new sdk.IVSRealTimeClient({
      endpoint,
      region: "eu-west-1",
      credentials: { accessKeyId: "444455556666", secretAccessKey: "test", sessionToken: "session" },
      maxAttempts: 1,
    });
    const created = await client.send(
      new sdk.CreateStageCommand({ name: "from-a-page", tags: { via: "chromium" } }),
    );
    const tagged = await client.send(
      new sdk.ListTagsForResourceCommand({ resourceArn: created.stage.arn }),
    );
    let notFound = null;
    try {
      await client.send(new sdk.GetStageCommand({ arn: created.stage.arn.replace(/[^/]+$/, "missing") }));
    } catch (error) {
      notFound = {
        name: error.name,
        exceptionMessage: error.exceptionMessage,
        status: error.$metadata.httpStatusCode,
      };
    }
    return {
      origin: location.origin,
      userAgent: navigator.userAgent,
      stage: created.stage,
      tags: tagged.tags,
      notFound,
    };
  }, endpoint);
  console.log(JSON.stringify({ ...seen, errors }));
} finally {
  await browser.close();
  site.close();
}
