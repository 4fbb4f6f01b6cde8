export interface Product {
  id: string;
  name: string;
  price: number;
  currency: string;
  stock: number;
  category: string;
}

/** The demo catalogue. Id "123" is the product the design's curl examples ask for. */
const PRODUCTS: readonly Product[] = [
  { id: "123", name: "Aeron Ergonomic Office Chair", price: 1295, currency: "USD", stock: 14, category: "furniture" },
  {
    id: "101",
    name: "Mechanical Keyboard, Brown Switches",
    price: 129.99,
    currency: "USD",
    stock: 58,
    category: "electronics",
  },
  { id: "102", name: "27-inch 4K IPS Monitor", price: 349, currency: "USD", stock: 23, category: "electronics" },
  {
    id: "103",
    name: "Noise-Cancelling Wireless Headphones",
    price: 279.5,
    currency: "USD",
    stock: 41,
    category: "electronics",
  },
  { id: "104", name: "USB-C Docking Station", price: 189, currency: "USD", stock: 0, category: "electronics" },
  { id: "105", name: "Standing Desk Frame, Dual Motor", price: 499, currency: "USD", stock: 9, category: "furniture" },
  { id: "106", name: "Solid Oak Desktop, 160 x 80 cm", price: 320, currency: "USD", stock: 6, category: "furniture" },
  { id: "107", name: "Monitor Arm, Gas Spring", price: 89.95, currency: "USD", stock: 77, category: "furniture" },
  { id: "108", name: "Pour-Over Coffee Set", price: 45, currency: "USD", stock: 120, category: "kitchen" },
  { id: "109", name: "Burr Coffee Grinder", price: 139, currency: "USD", stock: 32, category: "kitchen" },
  { id: "110", name: "Insulated Water Bottle, 750 ml", price: 29.99, currency: "USD", stock: 260, category: "kitchen" },
  { id: "111", name: "Cast Iron Skillet, 26 cm", price: 54.5, currency: "USD", stock: 44, category: "kitchen" },
  { id: "112", name: "Trail Running Shoes", price: 139.95, currency: "USD", stock: 35, category: "sports" },
  { id: "113", name: "Yoga Mat, 6 mm", price: 39, currency: "USD", stock: 88, category: "sports" },
  { id: "114", name: "Adjustable Dumbbells, 24 kg Pair", price: 399, currency: "USD", stock: 5, category: "sports" },
  { id: "115", name: "Lightweight Daypack, 22 L", price: 74, currency: "USD", stock: 61, category: "outdoor" },
  { id: "116", name: "Two-Person Backpacking Tent", price: 289, currency: "USD", stock: 12, category: "outdoor" },
  { id: "117", name: "Headlamp, 400 Lumen", price: 34.99, currency: "USD", stock: 150, category: "outdoor" },
  {
    id: "118",
    name: "The Pragmatic Programmer (20th Anniversary)",
    price: 49.99,
    currency: "USD",
    stock: 70,
    category: "books",
  },
  {
    id: "119",
    name: "Designing Data-Intensive Applications",
    price: 59.99,
    currency: "USD",
    stock: 38,
    category: "books",
  },
  { id: "120", name: "Fountain Pen, Medium Nib", price: 28, currency: "USD", stock: 95, category: "office" },
  { id: "121", name: "Dot Grid Notebook, A5", price: 18.5, currency: "USD", stock: 300, category: "office" },
  {
    id: "122",
    name: "LED Desk Lamp with Wireless Charger",
    price: 64.99,
    currency: "USD",
    stock: 27,
    category: "office",
  },
  { id: "124", name: "Wireless Ergonomic Mouse", price: 99.99, currency: "USD", stock: 66, category: "electronics" },
];

export const CATEGORIES = [...new Set(PRODUCTS.map((p) => p.category))].sort();

export function findProduct(id: string): Product | undefined {
  return PRODUCTS.find((p) => p.id === id);
}

export interface ProductQuery {
  query?: string;
  category?: string;
  limit: number;
}

/** Case-insensitive substring match on the name, optionally within one category. */
export function searchProducts({ query, category, limit }: ProductQuery): Product[] {
  const needle = query?.trim().toLowerCase();
  return PRODUCTS.filter(
    (p) => (!needle || p.name.toLowerCase().includes(needle)) && (!category || p.category === category.toLowerCase()),
  ).slice(0, limit);
}
