import { app } from './ingest.app'

export default app
