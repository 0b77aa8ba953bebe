/**
 * A small judged catalogue: Korean and English product names of a fashion
 * mall, with shops, categories and prices, used by the backend contract suite
 * and by the relevance comparison against the legacy LIKE search.
 */
import type { SearchDocument } from '../backends/types.ts';

export const SHOPS = { 1: '봄날상회', 2: 'Urban Closet', 3: '데일리룩', 4: 'Nike Korea' } as const;
export const CATEGORIES = { 10: '원피스', 20: '상의', 30: '하의', 40: '아우터', 50: '신발', 60: '가방' } as const;

type Row = [id: number, shop: keyof typeof SHOPS, cat: keyof typeof CATEGORIES, name: string, price: string, sale: string | null, pop: number, description?: string, keywords?: string];

const ROWS: Row[] = [
  [1, 1, 10, '플라워 롱 원피스', '39000.00', null, 50],
  [2, 1, 10, '린넨 롱원피스 베이지', '45000.00', '39000.00', 80],
  [3, 3, 10, '셔링 미니 원피스', '29000.00', null, 30],
  [4, 2, 10, 'Floral Maxi Dress', '52000.00', null, 40],
  [5, 2, 10, 'Linen Shirt Dress', '61000.00', '49000.00', 20],
  [6, 3, 20, '캐시미어 니트 가디건', '79000.00', null, 90],
  [7, 1, 20, '가디건 울 니트 오버핏', '69000.00', null, 60],
  [8, 3, 20, '꽈배기 니트 스웨터', '42000.00', null, 70],
  [9, 2, 20, 'Oversized Linen Shirt', '38000.00', null, 65],
  [10, 2, 20, 'Basic Cotton T-Shirt', '15000.00', null, 95],
  [11, 3, 20, '오버핏 반팔 T셔츠', '19000.00', null, 85],
  [12, 1, 20, '스트라이프 셔츠 블라우스', '33000.00', null, 25],
  [13, 3, 30, '와이드 데님 청바지', '49000.00', null, 75],
  [14, 2, 30, 'Slim Fit Jeans', '55000.00', null, 35],
  [15, 3, 30, '밴딩 슬랙스', '32000.00', null, 45],
  [16, 1, 30, '플리츠 롱스커트', '36000.00', null, 15],
  [17, 3, 40, '울 블렌드 롱코트', '189000.00', '149000.00', 55],
  [18, 2, 40, 'Quilted Puffer Jacket', '129000.00', null, 50],
  [19, 1, 40, '트위드 자켓', '99000.00', null, 10],
  [20, 4, 50, '나이키 에어포스 1 운동화', '139000.00', null, 99],
  [21, 4, 50, 'Air Max Running Shoes', '159000.00', null, 88],
  [22, 3, 50, '캔버스 스니커즈', '39000.00', null, 40],
  [23, 1, 60, '레더 숄더백', '89000.00', null, 60],
  [24, 2, 60, 'Canvas Tote Bag', '25000.00', null, 70],
  [25, 3, 60, '미니 크로스백', '45000.00', '36000.00', 30],
  [26, 1, 20, '봄 신상 블라우스', '41000.00', null, 20, '원피스와 함께 입기 좋은 블라우스'],
  [27, 3, 20, '반팔 티셔츠 3팩', '25000.00', null, 50, null as unknown as string, '면 코튼 basic'],
  [28, 2, 10, 'Wrap Dress Black', '58000.00', null, 45, 'A wrap dress in black crepe'],
  [29, 4, 20, '드라이핏 트레이닝 티셔츠', '45000.00', null, 66, null as unknown as string, 'nike'],
  [30, 1, 30, '코튼 와이드 팬츠', '35000.00', null, 22],
];

export const HIDDEN_ID = 31;

export function fixtureDocuments(): SearchDocument[] {
  const docs = ROWS.map(([id, shop, cat, name, price, sale, pop, description, keywords]): SearchDocument => ({
    id, version: 1, shopId: shop, shopName: SHOPS[shop], categoryId: cat, categoryName: CATEGORIES[cat], name,
    description: description ?? null, keywords: keywords ?? null, price, salePrice: sale,
    discountRate: sale ? (Math.round(((Number(price) - Number(sale)) * 10000) / Number(price)) / 100).toFixed(2) : '0.00',
    currency: 'KRW', status: 'active', imageUrl: `https://img.example/${id}.jpg`, likeCount: pop * 3, popularityScore: pop,
    createdAt: `2026-01-${String(id).padStart(2, '0')} 10:00:00.000000`,
  }));
  docs.push({ ...docs[0], id: HIDDEN_ID, name: '숨김 원피스', status: 'hidden', createdAt: '2026-02-01 10:00:00.000000' });
  return docs;
}

/**
 * Judged queries: the ids a shopper searching this would want (order not
 * judged). Covers Korean spacing variants, word order, English case and
 * plurals, brand and category words, and mixed script.
 */
export const JUDGED: Array<{ q: string; relevant: number[] }> = [
  { q: '원피스', relevant: [1, 2, 3, 4, 5, 28] },
  { q: '롱원피스', relevant: [1, 2] },
  { q: '롱 원피스', relevant: [1, 2] },
  { q: '니트 가디건', relevant: [6, 7] },
  { q: 'dress', relevant: [4, 5, 28] },
  { q: 'Linen', relevant: [2, 5, 9] },
  { q: 'linen shirt', relevant: [5, 9] },
  { q: '티셔츠', relevant: [27, 29] },
  { q: '나이키', relevant: [20, 29] },
  { q: '청바지', relevant: [13] },
  { q: 'shoes', relevant: [21] },
  { q: '와이드', relevant: [13, 30] },
  { q: '오버핏 니트', relevant: [7] },
  { q: '코튼', relevant: [27, 30] },
];
