export * from './index-doc'
export * from './manifest'
