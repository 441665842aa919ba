// Logs in to a local Torus network with the published @toruslabs/torus.js client, unchanged.
//
// Usage: node retrieve.mjs '<json>' where the JSON has
//   endpoints: ["http://127.0.0.1:9944", ...], nodePubkeys: [{X, Y}, ...],
//   verifier, verifierId, idToken
// or, instead of endpoints and nodePubkeys, discoverFrom: "http://127.0.0.1:9944": the
// committee that holds the user's key is asked of that node (torus_nodeDetails), as a dapp
// does (docs/TORUS-API.md).
// Prints one JSON line: what getPublicAddress and retrieveShares returned. With
// extendedVerifierId (a TSS key's name) only the lookup runs: torus.js's TSS public-key
// lookup, which names the network key of the user's TSS key.
//
// torus.js calls a hosted analytics/"allow" service (citadel) before retrieval: that one
// service is answered locally with `200 {}`. The hosted metadata service (a fallback for nodes
// that send no nonce) is made to fail, so a node without `nonce_data` is caught. Every other
// request must go to one of the given endpoints; anything else fails the run.
import { Torus } from "@toruslabs/torus.js";

const request = JSON.parse(process.argv[2]);
let indexes;
if (request.discoverFrom) {
  const reply = await fetch(request.discoverFrom, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "torus_nodeDetails",
      params: [{ verifier: request.verifier, verifierId: request.verifierId }],
    }),
  });
  const details = (await reply.json()).result;
  request.endpoints = details.torusNodeEndpoints;
  request.nodePubkeys = details.torusNodePub;
  indexes = details.torusIndexes;
}
const ourEndpoints = new Set(request.endpoints);
const nodeCalls = [];
const strayCalls = [];

const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = typeof input === "string" ? input : input.url;
  if (url.includes("/citadel-service/")) {
    return new Response("{}", { status: 200, headers: { "content-type": "application/json" } });
  }
  if (!ourEndpoints.has(url)) {
    strayCalls.push(url);
    throw new TypeError(`the test refuses a request to ${url}`);
  }
  nodeCalls.push(JSON.parse(init.body).method);
  return realFetch(input, init);
};

const torus = new Torus({ clientId: "torus-local-test", network: "sapphire_devnet", enableOneKey: true });
indexes ??= Array.from({ length: request.endpoints.length }, (_, i) => i + 1);

const publicAddress = await torus.getPublicAddress(request.endpoints, request.nodePubkeys, {
  verifier: request.verifier,
  verifierId: request.verifierId,
  extendedVerifierId: request.extendedVerifierId,
});
if (request.extendedVerifierId) {
  console.log(
    JSON.stringify({
      lookup: {
        x: publicAddress.finalKeyData.X,
        y: publicAddress.finalKeyData.Y,
        oAuthX: publicAddress.oAuthKeyData.X,
      },
      nodeCalls: [...new Set(nodeCalls)].sort(),
      strayCalls,
    }),
  );
  process.exit(0);
}
const key = await torus.retrieveShares({
  endpoints: request.endpoints,
  indexes,
  nodePubkeys: request.nodePubkeys,
  verifier: request.verifier,
  verifierParams: { verifier_id: request.verifierId },
  idToken: request.idToken,
});

console.log(
  JSON.stringify({
    lookup: {
      address: publicAddress.finalKeyData.walletAddress,
      x: publicAddress.finalKeyData.X,
      y: publicAddress.finalKeyData.Y,
    },
    login: {
      address: key.finalKeyData.walletAddress,
      privateKey: key.finalKeyData.privKey,
      oAuthPrivateKey: key.oAuthKeyData.privKey,
      nonce: key.metadata.nonce.toString(16),
      nodeIndexes: key.nodesData.nodeIndexes,
      sessionTokens: key.sessionData.sessionTokenData.filter(Boolean).length,
    },
    nodeCalls: [...new Set(nodeCalls)].sort(),
    strayCalls,
  }),
);
