/**
 * Words the generator mixes into names: Korean and English fashion vocabulary,
 * as a Korean fashion-mall aggregator's crawled catalogue looks. Data only.
 */

export interface CategorySpec {
  slug: string;
  name: string;
  children: { slug: string; name: string; items: string[] }[];
}

/** Two-level category tree; leaves carry the item nouns products are named after. */
export const CATEGORY_TREE: CategorySpec[] = [
  { slug: 'tops', name: '상의', children: [
    { slug: 'tshirts', name: '티셔츠', items: ['반팔 티셔츠', '긴팔 티셔츠', 'T-shirt', '크롭 티', 'Tee'] },
    { slug: 'blouses', name: '블라우스', items: ['블라우스', 'Blouse', '셔링 블라우스'] },
    { slug: 'knits', name: '니트', items: ['니트', 'Knit', '꽈배기 니트', 'Sweater'] },
    { slug: 'shirts', name: '셔츠', items: ['셔츠', 'Shirt', '스트라이프 셔츠'] },
    { slug: 'hoodies', name: '후드/맨투맨', items: ['후드티', 'Hoodie', '맨투맨', 'Sweatshirt'] },
  ] },
  { slug: 'outer', name: '아우터', children: [
    { slug: 'jackets', name: '자켓', items: ['자켓', 'Jacket', '트위드 자켓', '블레이저'] },
    { slug: 'coats', name: '코트', items: ['코트', 'Coat', '울 코트', '트렌치코트'] },
    { slug: 'cardigans', name: '가디건', items: ['가디건', 'Cardigan'] },
    { slug: 'padding', name: '패딩', items: ['패딩', 'Puffer', '숏패딩', '경량 패딩'] },
  ] },
  { slug: 'pants', name: '바지', children: [
    { slug: 'slacks', name: '슬랙스', items: ['슬랙스', 'Slacks', '와이드 슬랙스'] },
    { slug: 'jeans', name: '청바지', items: ['청바지', 'Denim', '데님 팬츠', 'Jeans'] },
    { slug: 'training', name: '트레이닝', items: ['조거팬츠', 'Jogger', '트레이닝 팬츠'] },
  ] },
  { slug: 'skirts', name: '스커트', children: [
    { slug: 'mini-skirts', name: '미니스커트', items: ['미니스커트', 'Mini Skirt', '테니스 스커트'] },
    { slug: 'long-skirts', name: '롱스커트', items: ['롱스커트', 'Maxi Skirt', '플리츠 스커트'] },
  ] },
  { slug: 'dresses', name: '원피스', children: [
    { slug: 'mini-dresses', name: '미니원피스', items: ['미니원피스', 'Mini Dress'] },
    { slug: 'long-dresses', name: '롱원피스', items: ['롱원피스', 'Maxi Dress', '셔츠 원피스'] },
  ] },
  { slug: 'shoes', name: '신발', children: [
    { slug: 'sneakers', name: '스니커즈', items: ['스니커즈', 'Sneakers'] },
    { slug: 'loafers', name: '로퍼', items: ['로퍼', 'Loafer', '메리제인'] },
    { slug: 'boots', name: '부츠', items: ['부츠', 'Boots', '앵클부츠'] },
  ] },
  { slug: 'bags', name: '가방', children: [
    { slug: 'shoulder-bags', name: '숄더백', items: ['숄더백', 'Shoulder Bag', '호보백'] },
    { slug: 'tote-bags', name: '토트백', items: ['토트백', 'Tote Bag', '에코백'] },
    { slug: 'cross-bags', name: '크로스백', items: ['크로스백', 'Crossbody Bag', '미니백'] },
  ] },
  { slug: 'accessories', name: '액세서리', children: [
    { slug: 'hats', name: '모자', items: ['볼캡', 'Ball Cap', '버킷햇', '비니'] },
    { slug: 'jewelry', name: '주얼리', items: ['귀걸이', 'Earrings', '목걸이', '반지', 'Necklace'] },
    { slug: 'socks', name: '양말', items: ['양말', 'Socks', '니삭스'] },
  ] },
];

export const TAGS = ['[당일발송]', '[무료배송]', '[1+1]', '[MADE]', '[SALE]', '[BEST]', '[주문폭주]', '[NEW]'];
export const ADJECTIVES = ['오버핏', '크롭', '루즈핏', '슬림핏', '빈티지', '데일리', '베이직', '미니멀', '러블리', '시크', '캐주얼',
  '여리여리', '하객룩', '꾸안꾸', 'Oversized', 'Basic', 'Vintage', 'Daily', 'Cozy', 'Soft', 'Premium', 'Classic', 'Minimal', 'Y2K'];
export const COLORS = ['블랙', '화이트', '아이보리', '크림', '베이지', '차콜', '네이비', '소라', '핑크', '민트', '카키', 'Black',
  'Ivory', 'Cream', 'Pink', 'Mint', 'Khaki', 'Navy', 'Grey'];
export const EMOJI = ['✨', '🔥', '💖', '🌸', '❄️', '👗', '💕', '🖤'];
export const MATERIALS = ['cotton', 'wool', 'cashmere', 'polyester', 'linen', 'denim', 'leather', 'nylon', '면', '울', '린넨'];
export const SEASONS = ['spring', 'summer', 'fall', 'winter', 'all'];
export const SIZE_SETS = [['FREE'], ['S', 'M', 'L'], ['S', 'M'], ['M', 'L', 'XL'], ['44', '55', '66'], ['225', '230', '235', '240', '245', '250']];
export const DESCRIPTION_OPENERS = ['부드러운 촉감으로 데일리룩에 딱!', '핏이 예쁜 인기 상품입니다.', '재입고 요청이 많았던 상품이에요.',
  'Soft and comfy for every day.', 'A wardrobe staple that goes with everything.', '가볍게 툭 걸치기 좋은 아이템.'];
export const DESCRIPTION_CLOSERS = ['세탁 시 뒤집어서 단독 세탁해 주세요.', 'Model wears size M.', '교환/반품은 수령 후 7일 이내 가능합니다.',
  '모델 착용 사이즈: FREE', 'Hand wash recommended.'];

export const SHOP_PREFIXES = ['블랑', '모디', '로즈', '메이', '슬로우', '아뜰리에', '데이지', '무드', '어반', '비비드', '하루', '소소',
  'Mood', 'Daily', 'Urban', 'Vivid', 'Blanc', 'Maison', 'Studio', 'Lumi'];
export const SHOP_SUFFIXES = ['샵', '마켓', '스튜디오', '클로젯', '룸', 'Closet', 'Studio', 'Lab', 'Market', 'Shop'];

export const SURNAMES = ['김', '이', '박', '최', '정', '강', '조', '윤', '장', '임', '한', '오', '서', '신', '권'];
export const GIVEN_SYLLABLES = ['지', '서', '민', '하', '윤', '수', '아', '은', '예', '유', '현', '채', '다', '연', '소', '진', '희', '원'];
export const ENGLISH_NAMES = ['Jiwoo Kim', 'Hana Lee', 'Sora Park', 'Mina Choi', 'Yuna Jung', 'Grace Han', 'Emma Oh', 'Chloe Seo'];

export const SEARCH_WORDS = ['니트', '가디건', '원피스', '청바지', '슬랙스', '코트', '패딩', '스니커즈', '크롭', '오버핏', 'knit', 'denim',
  'coat', 'hoodie', '블라우스', '하객룩', '여름 원피스', '겨울 코트', 'Y2K', '미니스커트'];
export const PLATFORMS = ['ios', 'android', 'web'];
export const REFERRERS = ['home', 'search', 'category', 'shop', 'like', 'push'];
