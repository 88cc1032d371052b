// Sends a known set of messages with RudderStack's Node SDK, gzip on (its default, set explicitly).
// usage: node send-rudder.mjs <baseUrl> <writeKey> <runId>
import Analytics from '@rudderstack/rudder-sdk-node'

const [baseUrl, writeKey, runId] = process.argv.slice(2)
const client = new Analytics(writeKey, { dataPlaneUrl: baseUrl.replace(/\/$/, ''), gzip: true, flushAt: 4, retryCount: 1 })
const userId = `rudder-${runId}`
const failures = []
const callback = (err) => { if (err) failures.push(err) }

client.identify({ userId, anonymousId: `anon-r-${runId}`, traits: { email: `${runId}@rudder.test`, run: runId } }, callback)
client.track({ userId, event: 'Product Added', properties: { run: runId, sku: 'SKU-1' } }, callback)
client.page({ userId, name: 'Docs', properties: { run: runId } }, callback)
client.screen({ userId, name: 'Settings', properties: { run: runId } }, callback)
client.group({ userId, groupId: `org-${runId}`, traits: { run: runId } }, callback)
client.alias({ userId, previousId: `anon-r-${runId}` }, callback)

await new Promise((resolve) => client.flush((err) => { if (err) failures.push(err); resolve() }))
if (failures.length > 0) {
  console.error('rudder-sdk-node errors:', failures.map(String).join('; '))
  process.exit(1)
}
console.log('sent 6 messages')
