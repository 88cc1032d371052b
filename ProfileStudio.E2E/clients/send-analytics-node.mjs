// Sends a known set of messages with Segment's own Node library; the run id tags every message.
// usage: node send-analytics-node.mjs <baseUrl> <writeKey> <runId>
import { Analytics } from '@segment/analytics-node'

const [baseUrl, writeKey, runId] = process.argv.slice(2)
const analytics = new Analytics({ writeKey, host: baseUrl.replace(/\/$/, ''), flushAt: 3, maxRetries: 2 })
const failures = []
analytics.on('error', (err) => failures.push(err))
const userId = `node-${runId}`

analytics.identify({ userId, anonymousId: `anon-${runId}`, traits: { email: `${runId}@node.test`, plan: 'pro', run: runId } })
analytics.track({ userId, event: 'Order Completed', properties: { run: runId, revenue: 42.5, currency: 'EUR' } })
analytics.page({ userId, name: 'Pricing', properties: { run: runId, path: '/pricing' } })
analytics.screen({ userId, name: 'Home', properties: { run: runId } })
analytics.group({ userId, groupId: `company-${runId}`, traits: { name: 'Acme', run: runId } })
analytics.alias({ userId, previousId: `anon-${runId}` })

await analytics.closeAndFlush({ timeout: 15000 })
if (failures.length > 0) {
  console.error('analytics-node errors:', failures.map(String).join('; '))
  process.exit(1)
}
console.log('sent 6 messages')
