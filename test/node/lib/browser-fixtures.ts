import type { ArticleInput } from '../../../scripts/lib/corpus'

/**
 * Articles for the browser test: five English ones about a lighthouse (three from one source, dated so that
 * date filters and sorting have something to tell apart), one whose fields carry markup, and Korean and
 * Japanese ones. Avoid words one edit away from "lighth" ("light", "eighth"): the first test checks marks.
 */
export const BROWSER_ARTICLES: ArticleInput[] = [
  {
    url: 'https://en.wikinews.org/wiki/Last_lighthouse_keepers_leave_Skerry_Rock',
    title: 'Last lighthouse keepers leave Skerry Rock',
    source: 'Wikinews',
    lang: 'en',
    published: '2024-03-20T09:00:00Z',
    tags: ['maritime'],
    text: 'The last two lighthouse keepers of Skerry Rock left the island on Wednesday after forty years of service.\n\nThe lighthouse is now run from the mainland, and the keepers said they would miss the sea birds most.',
  },
  {
    url: 'https://harbour-gazette.example/news/new-lens',
    title: 'Harbour lighthouse gets a new lens',
    source: 'Harbour Gazette',
    lang: 'en',
    published: '2024-03-10T18:00:00Z',
    text: 'Engineers fitted a new lens to the harbour lighthouse this week, the first change in half a century.\n\nThe beam now reaches twenty nautical miles.',
  },
  {
    url: 'https://harbour-gazette.example/news/tours',
    title: 'Lighthouse tours return for the summer',
    source: 'Harbour Gazette',
    lang: 'en',
    published: '2024-02-15T08:00:00Z',
    text: 'Guided tours of the lighthouse return in June, the harbour trust announced.\n\nTickets go on sale next month.',
  },
  {
    url: 'https://harbour-gazette.example/news/pier',
    title: 'Storm damages the old lighthouse pier',
    source: 'Harbour Gazette',
    lang: 'en',
    published: '2024-01-05T07:30:00Z',
    text: 'A winter storm tore planks from the pier below the lighthouse on Friday night.\n\nRepairs will take several weeks.',
  },
  {
    url: 'https://coastal-times.example/volunteers-repaint',
    title: 'Volunteers repaint the lighthouse',
    source: 'Coastal Times',
    lang: 'en',
    published: '2024-03-05T12:00:00Z',
    text: 'Thirty volunteers spent the weekend repainting the lighthouse in its red and white stripes.\n\nThe paint was donated by a local shop.',
  },
  {
    url: 'https://coastal-times.example/beacon-fund',
    title: 'Beacon fund <img src=x onerror="window.pwned=1"> raises money',
    source: 'Coastal Times',
    author: '<b>Ann</b> Lee',
    lang: 'en',
    published: '2023-12-01T10:00:00Z',
    text: 'The beacon fund raised money for the harbour <script>window.pwned=2</script> this winter.\n\nDonors can give <img src=x onerror="window.pwned=3"> at the town hall.',
  },
  {
    url: 'https://ko.wikinews.org/wiki/서울에서_개기_월식_관측',
    title: '서울에서 개기 월식 관측',
    source: 'Wikinews',
    lang: 'ko',
    published: '2025-03-14T13:00:00Z',
    text: '14일 밤 서울 하늘에서 개기 월식이 관측되었다. 시민들은 한강 공원에 모여 붉은 달을 지켜보았다.\n\n천문연구원은 다음 개기 월식은 내년에 볼 수 있다고 밝혔다.',
  },
  {
    url: 'https://ko.wikinews.org/wiki/부산_등대_축제',
    title: '부산에서 등대 축제 열려',
    source: 'Wikinews',
    lang: 'ko',
    published: '2025-05-02T09:00:00Z',
    text: '부산 영도에서 등대 축제가 열려 많은 관광객이 찾았다.\n\n축제는 사흘 동안 이어진다.',
  },
  {
    url: 'https://ja.wikinews.org/wiki/静岡県で地震、震度4を観測',
    title: '静岡県で地震、震度4を観測',
    source: 'Wikinews',
    lang: 'ja',
    published: '2025-04-28T02:00:00Z',
    text: '28日午前、静岡県中部を震源とする地震があり、最大震度4を観測した。津波の心配はない。\n\n気象庁によると、震源の深さは約20キロ。',
  },
  {
    url: 'https://ja.wikinews.org/wiki/長谷寺で桜が満開',
    title: '長谷寺で桜が満開',
    source: 'Wikinews',
    lang: 'ja',
    published: '2025-04-05T03:00:00Z',
    text: '奈良県桜井市の長谷寺で桜が満開となり、多くの参拝者が訪れた。\n\n見頃は来週まで続く見込み。',
  },
]
