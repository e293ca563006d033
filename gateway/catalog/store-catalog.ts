import { CatalogV1, type CatalogFile, type CatalogItem, type CatalogOffer, type StockEntry } from '../contracts/catalog.js';
import { contractChecker } from '../contracts/validator.js';
import { VitrinError } from '../errors.js';

const checkCatalog = contractChecker(CatalogV1);

/** The catalog, stock and offers of this store, by SKU. Immutable: a new catalog replaces the old one whole. */
export class StoreCatalog {
  private readonly items: ReadonlyMap<string, CatalogItem>;
  private readonly stock: ReadonlyMap<string, StockEntry>;
  readonly offers: readonly CatalogOffer[];

  constructor(file: CatalogFile) {
    this.items = new Map(file.items.map((i) => [i.sku, i]));
    this.stock = new Map(file.stock.map((s) => [s.sku, s]));
    this.offers = file.offers;
  }

  static empty(): StoreCatalog {
    return new StoreCatalog({ schema: 'vitrin.catalog/1', items: [], stock: [], offers: [] });
  }

  /** A catalog file's text, checked against vitrin.catalog/1 with every problem listed. */
  static parse(text: string): StoreCatalog {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (cause) {
      throw new VitrinError('VITRIN_ERR_CATALOG_INVALID', 'the catalog is not JSON', { cause });
    }
    const problems = checkCatalog(value);
    if (problems.length > 0) throw new VitrinError('VITRIN_ERR_CATALOG_INVALID', 'the catalog does not match vitrin.catalog/1', { details: problems.slice(0, 20) });
    return new StoreCatalog(value as CatalogFile);
  }

  item(sku: string): CatalogItem | undefined {
    return this.items.get(sku);
  }

  /** Stock here; undefined when the catalog does not say (then the profile's own flag decides). */
  stockOf(sku: string): StockEntry | undefined {
    return this.stock.get(sku);
  }

  isEmpty(): boolean {
    return this.items.size === 0 && this.stock.size === 0 && this.offers.length === 0;
  }
}
