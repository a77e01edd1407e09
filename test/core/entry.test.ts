// Issue 12 on entries: lead images that are real, and descriptions everywhere (image-only items,
// summaries that skip author lines and bare URLs, `<!--more-->` excerpts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/cli/config.js';
import { parseArticle } from '../../src/core/article.js';
import { toEntry, type Entry } from '../../src/core/entry.js';
import { renderMarkdown } from '../../src/core/markdown.js';
import { PLACEHOLDER_IMAGE_HOSTS, resolveSettings, type Settings } from '../../src/core/settings.js';
import { isByline, mediaDescription, summaryText } from '../../src/core/summary.js';
import { CORPUS_DIR } from '../helpers/feeds.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const enc = (s: string) => new TextEncoder().encode(s);

function entryOf(src: string, over: Partial<Settings> = {}, id = 'a'): Entry {
  const settings = resolveSettings({ siteUrl: 'https://s.example', dropSelectors: ['.appendQr_wrap'], ...over });
  const { article } = parseArticle({ id, file: `${id}.md`, bytes: enc(src), uploadedAt: new Date(0) }, settings, renderMarkdown);
  return toEntry(article, settings);
}
const post = (frontMatter: string, body: string) => `---\ntitle: T\ndate: 2022-04-02 10:00:00\n${frontMatter}\n---\n${body}`;

let corpusSettings: Settings;
const corpus = (file: string): Entry => {
  const id = file.replace(/\.md$/, '');
  const { article } = parseArticle({ id, file, bytes: readFileSync(path.join(CORPUS_DIR, file)), uploadedAt: new Date(0) }, corpusSettings, renderMarkdown);
  return toEntry(article, corpusSettings);
};
beforeAll(async () => {
  corpusSettings = await loadSettings(ROOT);
});

describe('lead images (issue 12)', () => {
  it('drops a front-matter image from a random-placeholder service, then takes the first meaningful body image', () => {
    const e = entryOf(post("headimg: 'https://picsum.photos/400/300?random=6074'", '<p>x</p><p><img src="/real.jpg"></p>'));
    expect(e.image).toEqual({ url: 'https://s.example/real.jpg', type: 'image/jpeg' });
    for (const u of ['https://via.placeholder.com/300', 'https://placehold.co/600x400', 'https://source.unsplash.com/random/800x600', 'https://loremflickr.com/320/240', 'https://dummyimage.com/600x400', 'https://fakeimg.pl/300/', 'https://placekitten.com/200/300'])
      expect(entryOf(post(`headimg: '${u}'`, '<p>text</p>')).image, u).toBeUndefined();
  });

  it('reads the placeholder list from the settings: hosts with their subdomains, or host/path prefixes', () => {
    const src = post("headimg: 'https://img.cdn.example/random/1.jpg'", '<p>x</p>');
    expect(entryOf(src).image?.url).toBe('https://img.cdn.example/random/1.jpg');
    expect(entryOf(src, { placeholderImageHosts: ['cdn.example'] }).image).toBeUndefined();
    expect(entryOf(src, { placeholderImageHosts: ['img.cdn.example/random'] }).image).toBeUndefined();
    expect(entryOf(src, { placeholderImageHosts: ['img.cdn.example/other'] }).image).toBeDefined();
    // An empty list keeps even picsum.photos.
    expect(entryOf(post("headimg: 'https://picsum.photos/400/300'", '<p>x</p>'), { placeholderImageHosts: [] }).image?.url).toBe('https://picsum.photos/400/300');
    expect(PLACEHOLDER_IMAGE_HOSTS).toContain('picsum.photos');
  });

  it('drops a front-matter image that the body shows only inside a block cleaning removes, and then has none', () => {
    const qr = 'https://n.sinaimg.cn/finance/cece9e13/20200514/343233024.png';
    const promo = `<div class="appendQr_wrap"><img src="${qr}"><div>海量资讯、精准解读，尽在新浪财经APP</div></div>`;
    expect(entryOf(post(`headimg: '${qr}'`, `<p>story</p>${promo}`)).image).toBeUndefined();
    expect(entryOf(post(`headimg: '${qr}'`, `<p>story</p><div hidden><img src="${qr}"></div>`)).image).toBeUndefined();
    // Shown in the story too: then it is a real picture.
    expect(entryOf(post(`headimg: '${qr}'`, `<p><img src="${qr}"></p>${promo}`)).image?.url).toBe(qr);
  });

  it('skips decoration: avatars and icons by class, images declared under 100 px, tracker and formula URLs, data: URIs', () => {
    const body = [
      '<img class="avatar" src="https://i.example/me.jpg">',
      '<img src="https://i.example/a.png" width="48" height="48">',
      '<img src="https://i.example/b.png" style="width: 20px">',
      '<img src="https://t.example/pixel.gif">',
      '<img src="https://i.example/favicon.ico">',
      '<img src="https://www.zhihu.com/equation?tex=x">',
      '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==">',
      '<img src="https://i.example/real.webp" width="640">',
    ].join('');
    expect(entryOf(post('', `<p>${body}</p>`)).image).toEqual({ url: 'https://i.example/real.webp', type: 'image/webp' });
    expect(entryOf(post("headimg: 'https://i.example/me.jpg'", `<p>${body}</p>`)).image?.url).toBe('https://i.example/real.webp');
    expect(entryOf(post('', '<p><img src="https://t.example/pixel.gif"> only a tracker</p>')).image).toBeUndefined();
  });

  it('on the corpus: no placeholder, no QR promo, no avatar; real images kept', () => {
    for (const f of ['dribbble-02.md', 'dribbble-03.md', 'stcn-01.md', 'juejin-01.md', 'hexo-01.md']) expect(corpus(f).image, f).toBeUndefined();
    const qr = 'https://n.sinaimg.cn/finance/cece9e13/20200514/343233024.png';
    let sina = 0;
    for (let i = 1; i <= 11; i++) {
      const f = `sina-finance-${String(i).padStart(2, '0')}.md`;
      const raw = readFileSync(path.join(CORPUS_DIR, f), 'utf8');
      const e = corpus(f);
      expect(e.image?.url, f).not.toBe(qr);
      if (raw.includes(`headimg: '${qr}'`)) {
        sina++;
        expect(e.image, f).toBeUndefined();
      } else expect(e.image?.url, f).toBe(/headimg: '([^']+)'/.exec(raw)![1]);
    }
    expect(sina).toBe(6);
    expect(corpus('zhihu-01.md').image?.url).toBe('https://pica.zhimg.com/v2-8e0d688e79e168c232cd3671cda1b96b_720w.jpg?source=8673f162');
    expect(corpus('dribbble-01.md').image?.url).toMatch(/^https:\/\/cdn\.dribbble\.com\//);
    expect(corpus('acfun-01.md').image?.url).toBe('https://tx-free-imgs.acfun.cn/content/2018_09_30/1538318935.png');
  });
});

describe('descriptions everywhere (issue 12)', () => {
  it('describes an image-only item by its alt texts, else by how many images, videos and clips it holds', () => {
    expect(entryOf(post('', '<p><img src="/a.png" alt="A red kite"><img src="/b.png" alt="A red kite"><img src="/c.png" alt=" Over the hill "></p>')).summary).toBe(
      'A red kite · Over the hill',
    );
    expect(entryOf(post('', '<p><img src="/a.png"><img src="/b.png" alt></p>')).summary).toBe('2 images');
    expect(mediaDescription('<img src="x"><video src="y"></video><audio src="z"></audio><audio src="w"></audio>')).toBe('1 image, 1 video, 2 audio clips');
    for (const f of ['acfun-01.md', 'acfun-02.md', 'meituan-02.md']) expect(corpus(f).summary, f).toBe('1 image');
  });

  it('never leaves a summary empty: an item with nothing to show is described by its title', () => {
    expect(entryOf(post('', '<p></p>')).summary).toBe('T');
    expect(entryOf(post('', '<p><a href="https://x.example/">https://x.example/</a></p>')).summary).toBe('T');
  });

  it('skips author lines at the start of the body, but not later and not long sentences', () => {
    for (const line of ['►文 观察者网 陶梦', '中国基金报记者方丽', '北京日报客户端 | 记者 孙奇茹', '文/张三', '来源：新华社', 'By Jane Doe', 'Written by Ann and Bo Li'])
      expect(isByline(line), line).toBe(true);
    for (const line of ['By the numbers, it was a good year for everyone involved in it', '文章开头', '财联社（深圳，记者邹晨辉、高云）讯，6月18日，中证协发布2020年度证券公司经营业绩排名情况', 'Bygones'])
      expect(isByline(line), line).toBe(false);
    expect(summaryText('<p>文/张三</p><p>正文开始。</p><p>编辑：李四</p>')).toBe('正文开始。 编辑：李四');
    expect(corpus('sina-finance-02.md').summary).toMatch(/^电影《长津湖》正在热映/);
    expect(corpus('sina-finance-06.md').summary).toMatch(/^A股市场在质疑中纠结前行/);
    expect(corpus('sina-finance-11.md').summary).toMatch(/^大部分“00后”/);
    // zhihu-01: the author block is marked by class="author"/"bio" in the source.
    expect(corpus('zhihu-01.md').summary).toMatch(/^聊一下游戏。/);
    expect(corpus('zhihu-01.md').contentHtml).toContain('知乎用户，');
  });

  it('leaves bare URLs out of summaries (player links of dropped embeds, pasted addresses)', () => {
    for (const f of ['bilibili-01.md', 'bilibili-02.md', 'bilibili-03.md', '3dm-02.md', 'bahamut-02.md']) {
      const e = corpus(f);
      expect(e.summary, f).not.toMatch(/https?:|www\./);
      expect(e.contentHtml, f).toMatch(/>https:\/\/(player\.bilibili\.com|player\.youku\.com|www\.youtube\.com)\//);
    }
    expect(summaryText('<p>see https://a.example/x?y=1 and www.b.example now</p>')).toBe('see and now');
  });

  it('joins inline markup without spaces, lines of text with one', () => {
    expect(summaryText('<p>当然只有<a href="https://x.example/">拼多多</a>的“砍一刀”</p><p>下一段</p>')).toBe('当然只有拼多多的“砍一刀” 下一段');
  });

  it('takes the summary from a `<!--more-->` excerpt, keeping the excerpt HTML for summary-only feeds', () => {
    const e = entryOf(post('', 'Intro **bold** words.\n\n<!--more-->\n\nThe rest of it.'));
    expect(e.summary).toBe('Intro bold words.');
    expect(e.excerptHtml).toBe('<p>Intro <strong>bold</strong> words.</p>');
    expect(e.contentHtml.replace(/\s+/g, ' ')).toBe('<p>Intro <strong>bold</strong> words.</p> <p>The rest of it.</p>');
    expect(entryOf(post('description: Given', 'a <!-- more --> b')).summary).toBe('Given');
    expect(entryOf(post('', 'No marker.')).excerptHtml).toBeUndefined();
  });
});
