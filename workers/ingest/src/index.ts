import { app } from './ingest.app'

export { IndexWriter } from './index-writer'

export default app
