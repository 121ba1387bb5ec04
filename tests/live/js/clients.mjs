// Reads one operation from the gateway with a real client and prints what it saw as JSON.
// Usage: node clients.mjs '{"client": "sse"|"meros"|"apollo", "url": ..., "query": ...,
//                           "variables": {...}, "headers": {...}}'
import { createClient } from "graphql-sse";
// The fetch flavour (a Response in, parts out); meros's node flavour reads http.IncomingMessage.
import { meros } from "meros/browser";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { GraphQL17Alpha9Handler } from "@apollo/client/incremental";

const spec = JSON.parse(process.argv[2]);
const headers = spec.headers ?? {};

async function viaSse() {
  const client = createClient({ url: spec.url, headers, singleConnection: false, retryAttempts: 0 });
  const results = [];
  try {
    for await (const result of client.iterate({ query: spec.query, variables: spec.variables ?? {} })) {
      results.push(result);
    }
    return { results };
  } catch (error) {
    return { results, error: String(error && error.message ? error.message : JSON.stringify(error)) };
  } finally {
    client.dispose();
  }
}

async function viaMeros() {
  const response = await fetch(spec.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "multipart/mixed", ...headers },
    body: JSON.stringify({ query: spec.query, variables: spec.variables ?? {} }),
  });
  const parts = await meros(response);
  if (!(Symbol.asyncIterator in Object(parts))) {
    return { status: response.status, parts: [await parts.json()] };
  }
  const out = [];
  for await (const part of parts) out.push(part.json ? part.body : JSON.parse(part.body));
  return { status: response.status, contentType: response.headers.get("content-type"), parts: out };
}

async function viaApollo() {
  const client = new ApolloClient({
    link: new HttpLink({ uri: spec.url, headers }),
    cache: new InMemoryCache(),
    incrementalHandler: new GraphQL17Alpha9Handler(),
  });
  const seen = [];
  await new Promise((resolve, reject) => {
    const sub = client
      .watchQuery({ query: gql(spec.query), variables: spec.variables ?? {}, fetchPolicy: "no-cache" })
      .subscribe({
        next(result) {
          seen.push({ dataState: result.dataState, loading: result.loading, data: result.data, error: result.error ? String(result.error) : null });
          if (!result.loading && result.dataState === "complete") {
            sub.unsubscribe();
            resolve();
          }
        },
        error: reject,
      });
  });
  client.stop();
  return { seen };
}

const run = { sse: viaSse, meros: viaMeros, apollo: viaApollo }[spec.client];
run()
  .then((out) => {
    process.stdout.write(JSON.stringify(out));
  })
  .catch((error) => {
    process.stdout.write(JSON.stringify({ fatal: String(error && error.stack ? error.stack : error) }));
    process.exitCode = 1;
  });
