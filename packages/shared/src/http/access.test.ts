import { describe, expect, it } from 'vitest'
import { clientKey } from './access'

describe('clientKey', () => {
  it('keys an IPv4 address whole', () => {
    expect(clientKey('198.51.100.7')).toBe('198.51.100.7')
  })

  it('keys every address of one IPv6 /64 alike, however it is written', () => {
    const keys = [
      '2001:db8:1:2::1',
      '2001:0db8:0001:0002:ffff:ffff:ffff:ffff',
      '2001:DB8:1:2:a:b:c:d',
      '2001:db8:1:2:0:0:0:0',
      '2001:db8:1:2::192.0.2.1',
      '2001:db8:1:2::1%eth0',
    ].map(clientKey)
    expect(new Set(keys)).toEqual(new Set(['2001:db8:1:2::/64']))
  })

  it('keeps different /64s apart', () => {
    expect(clientKey('2001:db8:1:3::1')).not.toBe(clientKey('2001:db8:1:2::1'))
    expect(clientKey('::1')).toBe('0:0:0:0::/64')
  })

  it('takes a value that is no address as it is', () => {
    expect(clientKey('2001:db8::1::2')).toBe('2001:db8::1::2')
    expect(clientKey('not-an-address')).toBe('not-an-address')
  })
})
