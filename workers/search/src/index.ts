import { app } from './search.app'

export { IndexWriter } from './index-writer'
export default app
