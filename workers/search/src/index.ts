import { app } from './search.app'

export default app
