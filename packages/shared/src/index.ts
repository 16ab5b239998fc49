export * from './article'
export * from './http/problem'
export * from './normalize'
