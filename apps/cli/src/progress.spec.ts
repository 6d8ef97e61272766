import { Progress } from './progress';

function output(isTTY: boolean) {
  const written: string[] = [];
  return { written, output: { isTTY, write: (text: string) => written.push(text) } };
}

describe('Progress', () => {
  it('redraws one bar in place on a TTY and ends its line when finished', () => {
    const { written, output: tty } = output(true);
    const progress = new Progress(tty, 4, 'imported');
    progress.advance(1);
    progress.advance(3);
    progress.finish();
    expect(written).toEqual([
      `\r[${'#'.repeat(8)}${'-'.repeat(22)}] 1/4 25%`,
      `\r[${'#'.repeat(30)}] 4/4 100%`,
      '\n',
    ]);
  });

  it('writes a plain line per step elsewhere, without control codes', () => {
    const { written, output: file } = output(false);
    const progress = new Progress(file, 3, 'imported');
    progress.advance(2);
    progress.advance(2);
    progress.finish();
    expect(written).toEqual(['imported 2/3\n', 'imported 3/3\n']);
  });
});
