import type { ConfigFile } from '../config/config.schema.js';
import { formatDuration } from '../config/duration.js';
import type { Directory } from '../domain/directory.js';
import { catalog, type Catalog, type Locale } from '../i18n/index.js';
import { Presenter } from './presenter.js';

/** Everything needed to speak one language: its catalog and a presenter that reads labels and times in it. */
export interface Voice {
  locale: Locale;
  m: Catalog;
  presenter: Presenter;
  /** "1h 30m" / "1小时30分钟". */
  duration(ms: number): string;
}

/** One voice per language, built once. */
export class Voices {
  private readonly built = new Map<Locale, Voice>();

  constructor(
    private readonly config: ConfigFile,
    private readonly directory: Directory,
  ) {}

  get(locale: Locale = this.config.organisation.locale): Voice {
    let voice = this.built.get(locale);
    if (!voice) {
      const m = catalog(locale);
      voice = { locale, m, presenter: new Presenter(this.config, this.directory, m, locale), duration: (ms) => formatDuration(ms, m.duration) };
      this.built.set(locale, voice);
    }
    return voice;
  }
}
