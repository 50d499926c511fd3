#!/usr/bin/env node
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Signons interop peer: an independent ActivityPub implementation (Fedify, from npm) that
// talks to a running Signons server the way another fediverse server would. It resolves a
// petition by WebFinger, fetches its Group actor, follows it with a signed request, waits
// for the Accept and for the activity (a Create, or the petition's Announce) carrying
// fresh news, and checks that the library really rejects unsigned and tampered
// deliveries. One line per step on stdout; on failure a message on stderr and exit
// status 1. See README.md beside this file.
//
// Environment:
//   SIGNONS_URL     base URL of the Signons server, e.g. http://localhost:8541
//   SIGNONS_HANDLE  the petition's handle, e.g. save-the-park@localhost:8541
//   SIGNONS_TOKEN   a Bearer API token of the petition's organizer (to post news)
//   PEER_PORT       a free port for this peer's own server (127.0.0.1, public origin
//                   http://localhost:PEER_PORT)
//   PEER_TIMEOUT    optional, seconds for the whole run (default 30)
//   PEER_DEBUG      optional, 1 to log Fedify's debug output and every request to stderr

import { AsyncLocalStorage } from "node:async_hooks";
import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import { configure, defaultTextFormatter } from "@logtape/logtape";
import {
  Accept,
  Announce,
  Create,
  createFederation,
  Endpoints,
  Follow,
  generateCryptoKeyPair,
  Group,
  Link,
  MemoryKvStore,
  Note,
  Object as APObject,
  Person,
  Reject,
} from "@fedify/fedify";

const ACTOR = "tester";
const DEBUG = process.env.PEER_DEBUG === "1";

/** A failure of one step: printed without a stack trace. */
class StepError extends Error {}

let step = "config";
let waitingFor = "";

function out(line) {
  process.stdout.write(`${line}\n`);
}

function note(line) {
  process.stderr.write(`peer: ${line}\n`);
}

function fail(message) {
  throw new StepError(message);
}

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function short(text, max = 300) {
  const flat = String(text).replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function readConfig(env) {
  const names = ["SIGNONS_URL", "SIGNONS_HANDLE", "SIGNONS_TOKEN", "PEER_PORT"];
  const missing = names.filter((name) => !env[name]);
  if (missing.length > 0) fail(`missing environment variable(s): ${missing.join(", ")}`);
  let signons;
  try {
    signons = new URL(env.SIGNONS_URL);
  } catch {
    fail(`SIGNONS_URL is not a URL: ${env.SIGNONS_URL}`);
  }
  if (signons.protocol !== "http:" && signons.protocol !== "https:") {
    fail(`SIGNONS_URL must be http(s): ${env.SIGNONS_URL}`);
  }
  const handle = env.SIGNONS_HANDLE.replace(/^acct:/, "").replace(/^@/, "");
  const at = handle.indexOf("@");
  if (at <= 0 || at === handle.length - 1 || handle.indexOf("@", at + 1) >= 0) {
    fail(`SIGNONS_HANDLE must look like slug@host[:port], got ${env.SIGNONS_HANDLE}`);
  }
  const port = Number(env.PEER_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    fail(`PEER_PORT must be a port number, got ${env.PEER_PORT}`);
  }
  const timeout = env.PEER_TIMEOUT ? Number(env.PEER_TIMEOUT) : 30;
  if (!(timeout > 0)) fail(`PEER_TIMEOUT must be a number of seconds, got ${env.PEER_TIMEOUT}`);
  return {
    base: signons.href.replace(/\/+$/, ""),
    handle,
    slug: handle.slice(0, at),
    token: env.SIGNONS_TOKEN,
    port,
    origin: `http://localhost:${port}`,
    timeoutMs: timeout * 1000,
  };
}

/** `fetch`, with a sentence instead of "fetch failed" when the server cannot be reached. */
async function request(url, init = {}) {
  try {
    return await fetch(url, { ...init, redirect: "manual" });
  } catch (error) {
    const cause = error?.cause;
    const why = cause?.code ?? cause?.message ?? error?.message ?? String(error);
    fail(`cannot reach ${url}: ${why}`);
  }
}

async function setUpLogging() {
  const toStderr = (record) => process.stderr.write(defaultTextFormatter(record));
  await configure({
    sinks: { stderr: toStderr },
    contextLocalStorage: new AsyncLocalStorage(),
    loggers: [
      { category: "fedify", sinks: ["stderr"], lowestLevel: DEBUG ? "debug" : "fatal" },
      { category: ["logtape", "meta"], sinks: ["stderr"], lowestLevel: "warning" },
    ],
  });
}

/** What the inbox listeners report to the steps waiting on them. */
const inbox = {
  followId: null,
  newsText: null,
  accepted: deferred(),
  created: deferred(),
  creates: 0,
  // Raw deliveries as received (path, headers, body), by activity id, for the replays of
  // the last step.
  raw: new Map(),
  // Set while this program itself posts requests that must be rejected.
  expectRejection: false,
};
// Nobody awaits these until their step; a failure before then must not crash the process.
inbox.accepted.promise.catch(() => {});
inbox.created.promise.catch(() => {});

/** A Create or an Announce: resolves `inbox.created` if it carries a Note with our news. */
async function newsArrived(activity) {
  inbox.creates++;
  // An embedded object is read as is; an object given by id is fetched (and checked)
  // by the library. The petition's Announce of an embedded Create (FEP-1b12, for Lemmy)
  // carries no Note directly, and is skipped here.
  const object = await activity.getObject();
  if (!(object instanceof Note)) {
    note(`ignoring a ${activity.constructor.name} of ${object?.constructor?.name ?? "nothing"} (${activity.id?.href})`);
    return;
  }
  const content = object.content?.toString() ?? "";
  if (inbox.newsText != null && content.includes(inbox.newsText)) {
    inbox.created.resolve({ create: activity, note: object, content });
  } else {
    note(`ignoring a Note that is not our news (${activity.id?.href})`);
  }
}

function buildFederation(cfg, keyPair) {
  const federation = createFederation({
    kv: new MemoryKvStore(),
    origin: cfg.origin,
    // Everything runs on localhost over plain http: without this, Fedify refuses to fetch
    // private addresses (its protection against SSRF).
    allowPrivateAddress: true,
    userAgent: { software: "signons-interop-peer" },
  });

  federation
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      if (identifier !== ACTOR) return null;
      const [key] = await ctx.getActorKeyPairs(identifier);
      return new Person({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        name: "Signons interop tester (Fedify)",
        inbox: ctx.getInboxUri(identifier),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        // An RSA key: Signons verifies draft-cavage HTTP Signatures with rsa-sha256.
        publicKey: key.cryptographicKey,
      });
    })
    .setKeyPairsDispatcher((_ctx, identifier) => (identifier === ACTOR ? [keyPair] : []));

  // Fedify runs these listeners only after it has verified the request's HTTP Signature
  // against the sender's key (fetched from Signons) and checked the key's owner is the
  // activity's actor; anything else is answered 401 before a listener sees it.
  federation
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    .on(Accept, (_ctx, accept) => {
      const object = accept.objectId?.href;
      if (inbox.followId != null && object === inbox.followId.href) {
        inbox.accepted.resolve(accept);
      } else {
        note(`ignoring an Accept of ${object ?? "(no object)"}`);
      }
    })
    .on(Reject, (_ctx, reject) => {
      if (inbox.followId != null && reject.objectId?.href === inbox.followId.href) {
        inbox.accepted.reject(new StepError(`Signons rejected the Follow (${reject.id?.href})`));
      }
    })
    // News reaches a follower of the petition as the petition's boost (Announce of the
    // note's id, fetched and checked by the library), as Mastodon reads it; an organization
    // or instance follower gets the organization's Create. Either one counts.
    .on(Create, (_ctx, create) => newsArrived(create))
    .on(Announce, (_ctx, announce) => newsArrived(announce))
    .onError((_ctx, error) => {
      note(`inbox listener error: ${error?.stack ?? error}`);
    });

  return federation;
}

/** Node's http server in front of `federation.fetch` (which takes and gives web Requests). */
function startServer(cfg, federation) {
  const server = http.createServer(async (req, res) => {
    try {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const body = Buffer.concat(chunks);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        for (const v of Array.isArray(value) ? value : [value]) {
          if (v !== undefined) headers.append(name, v);
        }
      }
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      const webRequest = new Request(new URL(req.url, cfg.origin), {
        method: req.method,
        headers,
        body: hasBody ? body : undefined,
      });
      if (req.method === "POST" && !inbox.expectRejection) {
        try {
          const id = JSON.parse(body.toString("utf8"))?.id;
          if (typeof id === "string") {
            inbox.raw.set(id, { path: req.url, headers: req.headers, body: body.toString("utf8") });
          }
        } catch {
          // Not JSON: Fedify answers it.
        }
      }
      const response = await federation.fetch(webRequest, {
        contextData: undefined,
        onNotFound: () => new Response("Not found.", { status: 404 }),
        onNotAcceptable: () => new Response("Not acceptable.", { status: 406 }),
      });
      const payload = Buffer.from(await response.arrayBuffer());
      if (DEBUG) note(`<- ${req.method} ${req.url} ${response.status}`);
      if (req.method === "POST" && response.status >= 400 && !inbox.expectRejection) {
        note(
          `the inbox refused ${req.method} ${req.url}: ${response.status} ${short(payload.toString("utf8"))}` +
            (DEBUG ? "" : " (PEER_DEBUG=1 logs why)"),
        );
      }
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(payload);
    } catch (error) {
      note(`error handling ${req.method} ${req.url}: ${error?.stack ?? error}`);
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
      res.end("Internal error.");
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", (error) => reject(new StepError(`cannot listen on 127.0.0.1:${cfg.port}: ${error.code ?? error.message}`)));
    server.listen(cfg.port, "127.0.0.1", () => resolve(server));
  });
}

async function wait(what, promise) {
  waitingFor = what;
  const value = await promise;
  waitingFor = "";
  return value;
}

async function run(cfg, state) {
  // a. Our own server: one Person with an RSA key, its WebFinger, its inbox.
  step = "server";
  const keyPair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const federation = buildFederation(cfg, keyPair);
  state.server = await startServer(cfg, federation);
  const ctx = federation.createContext(new URL(cfg.origin), undefined);
  const me = ctx.getActorUri(ACTOR);
  {
    const self = `acct:${ACTOR}@${new URL(cfg.origin).host}`;
    const res = await request(`${cfg.origin}/.well-known/webfinger?resource=${encodeURIComponent(self)}`);
    if (res.status !== 200) fail(`our own WebFinger for ${self} answered ${res.status}`);
  }
  out(`server ok ${me.href}`);

  // b. WebFinger. Fedify's lookupWebFinger always asks https://HOST/.well-known/webfinger
  // for an acct: resource (there is no way to say http), and Signons runs on plain
  // http://localhost:PORT here, so the request is made directly against SIGNONS_URL and
  // only the JRD's links are read, as lookupWebFinger would.
  step = "webfinger";
  const resource = `acct:${cfg.handle}`;
  const wfUrl = new URL(`${cfg.base}/.well-known/webfinger`);
  wfUrl.searchParams.set("resource", resource);
  const wf = await request(wfUrl, { headers: { Accept: "application/jrd+json" } });
  if (wf.status !== 200) fail(`GET ${wfUrl} answered ${wf.status}: ${short(await wf.text())}`);
  const wfType = wf.headers.get("content-type") ?? "";
  if (!/^application\/(jrd\+)?json\b/.test(wfType)) {
    fail(`GET ${wfUrl} answered Content-Type "${wfType}", expected application/jrd+json`);
  }
  let jrd;
  try {
    jrd = await wf.json();
  } catch (error) {
    fail(`the WebFinger answer is not JSON: ${error.message}`);
  }
  if (jrd.subject != null && jrd.subject !== resource) {
    fail(`the WebFinger subject is ${jrd.subject}, expected ${resource}`);
  }
  const selfLink = (jrd.links ?? []).find(
    (l) =>
      l?.rel === "self" &&
      (l.type === "application/activity+json" ||
        /^application\/ld\+json;\s*profile="https:\/\/www\.w3\.org\/ns\/activitystreams"$/.test(l.type ?? "")),
  );
  if (selfLink?.href == null) {
    fail(`the WebFinger answer has no "self" link of type application/activity+json: ${short(JSON.stringify(jrd))}`);
  }
  const actorUrl = new URL(selfLink.href);
  out(`webfinger ok ${actorUrl.href}`);

  // c. The actor, through the library's document loader and JSON-LD parser (the two halves
  // of lookupObject, which would hide the reason of a failure behind a null).
  step = "actor";
  let remote;
  try {
    remote = await ctx.documentLoader(actorUrl.href);
  } catch (error) {
    fail(`cannot fetch the actor ${actorUrl.href}: ${error.message}`);
  }
  let group;
  try {
    group = await APObject.fromJsonLd(remote.document, {
      documentLoader: ctx.documentLoader,
      contextLoader: ctx.contextLoader,
    });
  } catch (error) {
    fail(`the actor ${actorUrl.href} is not valid ActivityStreams JSON-LD: ${error.message}`);
  }
  if (!(group instanceof Group)) {
    fail(`the actor ${actorUrl.href} is a ${group?.constructor?.name ?? "nothing"}, expected a Group`);
  }
  if (group.id?.href !== actorUrl.href) fail(`the actor's id is ${group.id?.href}, fetched from ${actorUrl.href}`);
  if (group.inboxId == null) fail(`the Group ${group.id.href} has no inbox`);
  if (group.publicKeyId == null) fail(`the Group ${group.id.href} has no publicKey`);
  // signatureCount is our own term (context SIGNONS_URL/ns); Fedify's vocabulary drops
  // unknown terms, so it is read from the document as served.
  const raw = remote.document;
  const signatureCount = raw?.signatureCount;
  const contexts = [raw?.["@context"] ?? []].flat();
  if (signatureCount !== undefined && !contexts.includes(`${cfg.base}/ns`)) {
    note(`warning: signatureCount is served but @context does not name ${cfg.base}/ns`);
  }
  out(
    `actor ok ${group.id.href} name=${JSON.stringify(group.name?.toString() ?? null)} ` +
      `signatureCount=${signatureCount === undefined ? "(absent)" : JSON.stringify(signatureCount)} ` +
      `inbox=${group.inboxId.href}`,
  );

  // d. Follow it: Fedify signs the POST (draft-cavage, rsa-sha256, with Digest).
  step = "follow";
  inbox.followId = new URL(`/follows/${randomUUID()}`, cfg.origin);
  const follow = new Follow({ id: inbox.followId, actor: me, object: group.id });
  try {
    await ctx.sendActivity({ identifier: ACTOR }, group, follow, { immediate: true });
  } catch (error) {
    fail(`delivering the Follow to ${group.inboxId.href} failed: ${short(error.message, 600)}`);
  }
  out(`follow sent ${inbox.followId.href}`);

  // e. The Accept, verified by the library before it reaches the listener.
  step = "accept";
  const accept = await wait(`an Accept of ${inbox.followId.href}`, inbox.accepted.promise);
  if (accept.actorId?.href !== group.id.href) {
    fail(`the Accept came from ${accept.actorId?.href}, expected ${group.id.href}`);
  }
  out(`accepted ${accept.id?.href ?? "(no id)"}`);

  // f. News, through Signons' API.
  step = "news";
  inbox.newsText = `Fedify interop check ${randomUUID()}`;
  const newsUrl = `${cfg.base}/api/v1/petitions/${encodeURIComponent(cfg.slug)}/news`;
  const posted = await request(newsUrl, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${cfg.token}`,
      "Content-Type": "application/json",
      Accept: "application/json",
    },
    body: JSON.stringify({ text: inbox.newsText }),
  });
  if (posted.status !== 201) fail(`POST ${newsUrl} answered ${posted.status}, expected 201: ${short(await posted.text())}`);
  out(`news posted ${posted.headers.get("location") ?? newsUrl}`);

  // g. The Create or Announce carrying it.
  step = "create";
  const created = await wait(`a Create or Announce of a Note containing "${inbox.newsText}"`, inbox.created.promise);
  const { create, note: received, content } = created;
  if (create.actorId == null || create.actorId.origin !== group.id.origin) {
    fail(`the Create came from ${create.actorId?.href}, not from ${group.id.origin}`);
  }
  const noteUrl = received.url instanceof Link ? received.url.href?.href : received.url?.href;
  out(`note ok ${JSON.stringify(content)} ${noteUrl ?? "(no url)"}`);

  // h. The library must not take deliveries it cannot verify: the Create again, unsigned,
  // then with its original Signature but a changed body (Digest recomputed, so the
  // signature itself is what fails).
  step = "unsigned";
  const original = create.id == null ? undefined : inbox.raw.get(create.id.href);
  const body = original?.body ?? JSON.stringify(await create.toJsonLd());
  const inboxUrl = new URL(original?.path ?? ctx.getInboxUri(ACTOR).pathname, cfg.origin);
  const before = inbox.creates;
  inbox.expectRejection = true;
  const unsigned = await request(inboxUrl, {
    method: "POST",
    headers: { "Content-Type": "application/activity+json", Date: new Date().toUTCString() },
    body,
  });
  if (unsigned.status !== 401 && unsigned.status !== 403) {
    fail(`an unsigned copy of the Create was answered ${unsigned.status}, expected 401`);
  }
  if (inbox.creates !== before) fail("an unsigned copy of the Create reached the inbox listener");
  out(`unsigned rejected ${unsigned.status}`);

  step = "tampered";
  if (original?.headers?.signature == null) {
    note("no signed original of the Create was recorded; skipping the tampered replay");
  } else {
    const doc = JSON.parse(original.body);
    if (doc.object != null && typeof doc.object === "object") {
      doc.object.content = `${doc.object.content ?? ""} (tampered)`;
    } else {
      doc.published = new Date().toISOString();
    }
    const tampered = JSON.stringify(doc);
    const headers = new Headers();
    const skip = new Set(["content-length", "digest", "connection", "keep-alive", "transfer-encoding", "expect", "upgrade"]);
    for (const [name, value] of Object.entries(original.headers)) {
      if (!skip.has(name) && typeof value === "string") headers.set(name, value);
    }
    headers.set("Digest", `SHA-256=${createHash("sha256").update(tampered).digest("base64")}`);
    const replay = await request(new URL(original.path, cfg.origin), { method: "POST", headers, body: tampered });
    if (replay.status !== 401 && replay.status !== 403) {
      fail(`a tampered copy of the signed Create was answered ${replay.status}, expected 401`);
    }
    if (inbox.creates !== before) fail("a tampered copy of the Create reached the inbox listener");
    out(`tampered rejected ${replay.status}`);
  }
  inbox.expectRejection = false;
  step = "done";
  out("interop ok");
}

async function main() {
  const state = { server: null };
  let cfg;
  let timer;
  let code = 0;
  try {
    cfg = readConfig(process.env);
    await setUpLogging();
    timer = setTimeout(() => {
      note(
        `timed out after ${cfg.timeoutMs / 1000} s in step "${step}"` +
          (waitingFor ? `, waiting for ${waitingFor}` : ""),
      );
      process.exit(1);
    }, cfg.timeoutMs);
    await run(cfg, state);
  } catch (error) {
    code = 1;
    if (error instanceof StepError) note(`${step} failed: ${error.message}`);
    else note(`${step} failed: ${error?.stack ?? error}`);
  } finally {
    clearTimeout(timer);
    if (state.server != null) {
      state.server.closeAllConnections();
      state.server.close();
    }
  }
  process.exit(code);
}

await main();
