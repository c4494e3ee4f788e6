// A real AT Protocol PDS (@atproto/pds) for the integration tests, with its own PLC directory
// (@did-plc/server over its in-memory database) in the same process, so that nothing leaves
// the machine: both listen on 127.0.0.1 only, the PDS knows no AppView, no crawler (relay), no
// mail server and no PLC but the local one. Started by scripts/pds.sh, which installs the
// packages (scripts/pds/package.json) under $HERALD_CACHE/pds and runs this file with Node 22.
//
// Environment:
//   HERALD_PDS_MODULES  directory holding the installed node_modules (required)
//   PDS_PORT            port for the PDS (required; the PLC directory takes a free one)
//   HERALD_PDS_ADMIN_PASSWORD  admin password (Basic auth "admin:<password>"), default below
//   HERALD_PDS_JWT_SECRET      the HS256 key (its UTF-8 bytes) of the session tokens; random by
//                              default. Set it to mint tokens in a test, e.g. an expired one.
//
// The PDS is configured as the hostname "localhost": its DID is did:web:localhost, its public
// URL http://localhost:PORT, account handles must end in ".test", no invite code is needed and
// createAccount still asks for an email address (any well-formed, non-disposable one). Data
// (SQLite databases, repositories, blobs) live in a fresh temporary directory, removed on
// SIGTERM/SIGINT: every start is an empty server.
import crypto from 'node:crypto'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const modules = process.env.HERALD_PDS_MODULES
const port = Number(process.env.PDS_PORT)
if (!modules || !Number.isInteger(port) || port <= 0) {
  console.error('usage: HERALD_PDS_MODULES=DIR PDS_PORT=PORT node index.mjs')
  process.exit(2)
}
const adminPassword = process.env.HERALD_PDS_ADMIN_PASSWORD || 'herald-pds-admin'
const jwtSecret = process.env.HERALD_PDS_JWT_SECRET || crypto.randomBytes(32).toString('hex')

// This file lives in the repository and its packages in the cache: resolve them from there.
const require = createRequire(path.join(modules, 'package.json'))
const { PDS, envToCfg, envToSecrets } = await import(
  pathToFileURL(require.resolve('@atproto/pds')).href
)
const plc = require('@did-plc/server')

// Both servers call app.listen(port) (every interface): keep them on the loopback address.
const loopbackOnly = (app) => {
  const listen = app.listen.bind(app)
  app.listen = (p, ...rest) => listen(p, '127.0.0.1', ...rest)
}

const hex32 = () => crypto.randomBytes(32).toString('hex')
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-pds-'))

let plcServer
let pds
let stopping = false
const stop = async (code) => {
  if (stopping) return
  stopping = true
  try {
    await pds?.destroy()
  } catch (err) {
    console.error('stopping the PDS:', err)
  }
  try {
    await plcServer?.destroy()
  } catch (err) {
    console.error('stopping the PLC directory:', err)
  }
  fs.rmSync(dataDir, { recursive: true, force: true })
  process.exit(code)
}
process.on('SIGTERM', () => stop(0))
process.on('SIGINT', () => stop(0))

try {
  // The PLC directory: the PDS registers every new account's did:plc there and resolves them.
  plcServer = plc.PlcServer.create({ db: plc.Database.mock(), port: 0 })
  loopbackOnly(plcServer.app)
  const plcHttp = await plcServer.start()
  // "localhost", not 127.0.0.1: the PDS's DID resolver refuses IP-address hosts.
  const plcUrl = `http://localhost:${plcHttp.address().port}`

  const env = {
    port,
    hostname: 'localhost',
    devMode: true, // http public URL, responses validated against the lexicons
    version: '0.0.0',
    dataDirectory: dataDir,
    blobstoreDiskLocation: path.join(dataDir, 'blobs'),
    didPlcUrl: plcUrl,
    serviceHandleDomains: ['.test'],
    inviteRequired: false,
    crawlers: [], // no relay to notify
    rateLimitsEnabled: false,
    enableDidDocWithSession: true, // like bsky.social: sessions carry didDoc (PDS endpoint)
    // No bskyAppViewUrl, modServiceUrl, reportServiceUrl, emailSmtpUrl nor redis: none is used.
    jwtSecret,
    dpopSecret: hex32(),
    adminPassword,
    plcRotationKeyK256PrivateKeyHex: hex32(),
  }
  pds = await PDS.create(envToCfg(env), envToSecrets(env))
  loopbackOnly(pds.app)
  await pds.start()
  console.log(
    JSON.stringify({
      msg: 'herald test PDS started',
      url: `http://127.0.0.1:${port}`,
      publicUrl: pds.ctx.cfg.service.publicUrl,
      did: pds.ctx.cfg.service.did,
      plcUrl,
      dataDir,
    }),
  )
} catch (err) {
  console.error('the PDS did not start:', err)
  await stop(1)
}
