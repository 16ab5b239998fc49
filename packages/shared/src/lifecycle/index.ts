export * from './index-doc'
export * from './manifest'
export * from './written-at'
