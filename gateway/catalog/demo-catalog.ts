import type { CatalogFile } from '../contracts/catalog.js';

// The demo store's catalog: what the simulated members' carts and wishlists hold, with
// stock, where it is on the floor, what goes with what, and two offers. Made up.

export const DEMO_CATALOG: CatalogFile = {
  schema: 'vitrin.catalog/1',
  items: [
    { sku: 'JN-501-32', title: 'Straight leg jeans', category: 'denim', price: 1299, complements: ['BL-220'] },
    { sku: 'SN-220-42', title: 'Trail running shoes', category: 'shoes', price: 2899, previousPrice: 3499, complements: ['SK-030'] },
    { sku: 'JK-118-M', title: 'Quilted light jacket', category: 'outerwear', price: 2199, complements: ['SC-015'] },
    { sku: 'TS-004-L', title: 'Organic cotton tee', category: 'tops', price: 349 },
    { sku: 'BG-310', title: 'Leather tote bag', category: 'accessories', price: 1899, previousPrice: 2299 },
    { sku: 'SW-771-S', title: 'Merino crew sweater', category: 'knitwear', price: 1599, complements: ['SC-015'] },
    { sku: 'DR-090-38', title: 'Linen summer dress', category: 'dresses', price: 1499, previousPrice: 1799 },
    { sku: 'SC-015', title: 'Wool scarf', category: 'accessories', price: 499 },
    { sku: 'BL-220', title: 'Leather belt', category: 'accessories', price: 599 },
    { sku: 'SK-030', title: 'Running socks, 3 pairs', category: 'shoes', price: 249 },
  ],
  stock: [
    { sku: 'JN-501-32', quantity: 6, location: 'denim wall', sizes: ['30', '32', '34'] },
    { sku: 'SN-220-42', quantity: 3, location: 'aisle 4', sizes: ['41', '42', '43'] },
    { sku: 'JK-118-M', quantity: 4, location: 'aisle 2', sizes: ['S', 'M', 'L'] },
    { sku: 'TS-004-L', quantity: 20, location: 'front tables', sizes: ['S', 'M', 'L', 'XL'] },
    { sku: 'BG-310', quantity: 0 },
    { sku: 'SW-771-S', quantity: 5, location: 'aisle 3', sizes: ['S', 'M'] },
    { sku: 'DR-090-38', quantity: 2, location: 'aisle 1', sizes: ['36', '38'] },
    { sku: 'SC-015', quantity: 12, location: 'by the tills' },
    { sku: 'BL-220', quantity: 8, location: 'by the tills' },
    { sku: 'SK-030', quantity: 15, location: 'aisle 4' },
  ],
  offers: [
    { id: 'of-autumn-10', title: '10% off knitwear', code: 'AUTUMN10', validUntil: '2026-12-31T23:59:59Z', categories: ['knitwear', 'outerwear'] },
    { id: 'of-run-2for1', title: 'Second pair of socks free', code: 'RUN2', validUntil: '2026-12-15T23:59:59Z', categories: ['shoes'] },
  ],
};
