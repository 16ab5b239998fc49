export * from './article'
export * from './http/problem'
