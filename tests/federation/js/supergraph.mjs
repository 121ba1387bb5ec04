// Composes the subgraphs named on the command line with @apollo/composition and serves the
// supergraph through @apollo/gateway (in Apollo Server) on loopback. Prints one JSON line with
// its URL, then runs until stdin closes. Used by tests/federation/test_supergraph.py.
//
//   node supergraph.mjs '[{"name": "runs", "url": "http://127.0.0.1:PORT/graphql",
//                          "headers": {"x-api-key": "…"}}, …]'
//
// `headers` (optional) go with every request to that subgraph: reading its SDL as rover does,
// and the router's `_entities` and root fetches.

// The gateway reports anonymous usage to Apollo and probes cloud metadata endpoints unless
// this is set before it is constructed; tests never leave 127.0.0.1.
process.env.APOLLO_TELEMETRY_DISABLED = "true";

import { composeServices } from "@apollo/composition";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { startStandaloneServer } from "@apollo/server/standalone";
import { parse } from "graphql";

const subgraphs = JSON.parse(process.argv[2]);

async function sdlOf(url, headers) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(headers || {}) },
    body: JSON.stringify({ query: "{ _service { sdl } }" }),
  });
  const body = await res.json();
  if (!body.data) throw new Error(`${url}: ${JSON.stringify(body)}`);
  return body.data._service.sdl;
}

const services = [];
const headersByUrl = new Map();
for (const { name, url, headers } of subgraphs) {
  headersByUrl.set(url, headers || {});
  services.push({ name, url, typeDefs: parse(await sdlOf(url, headers)) });
}
const composed = composeServices(services);
if (composed.errors) {
  console.log(JSON.stringify({ errors: composed.errors.map((e) => e.message) }));
  process.exit(3);
}

const gateway = new ApolloGateway({
  supergraphSdl: composed.supergraphSdl,
  buildService: ({ url }) =>
    new RemoteGraphQLDataSource({
      url,
      willSendRequest({ request }) {
        for (const [k, v] of Object.entries(headersByUrl.get(url) || {})) {
          request.http.headers.set(k, v);
        }
      },
    }),
});
const server = new ApolloServer({
  gateway,
  plugins: [ApolloServerPluginLandingPageDisabled()],
  includeStacktraceInErrorResponses: false,
});
const { url } = await startStandaloneServer(server, { listen: { host: "127.0.0.1", port: 0 } });
console.log(JSON.stringify({ url, supergraphSdl: composed.supergraphSdl }));

process.stdin.on("end", async () => {
  await server.stop();
  process.exit(0);
});
process.stdin.resume();
