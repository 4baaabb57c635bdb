import { describe, expect, it } from 'vitest';
import { checkedJobUrl } from '../../../electron/core/timeline/job-url';

const job = (jobUrl: string | null, projectPath: string | null = 'group/app') => ({
  jobId: 42,
  jobUrl,
  projectPath,
});

describe('checkedJobUrl', () => {
  it("accepts GitLab's web URL of the job on the configured instance", () => {
    expect(
      checkedJobUrl(job('https://gitlab.example/group/app/-/jobs/42'), 'https://gitlab.example'),
    ).toBe('https://gitlab.example/group/app/-/jobs/42');
    expect(
      checkedJobUrl(job('http://127.0.0.5:8080/g/a/-/jobs/42'), 'http://127.0.0.5:8080/'),
    ).toBe('http://127.0.0.5:8080/g/a/-/jobs/42');
  });

  it('accepts an instance under a sub-path, and builds the URL from the project path when GitLab sent none', () => {
    expect(
      checkedJobUrl(job('https://h.example/gitlab/g/a/-/jobs/42'), 'https://h.example/gitlab'),
    ).toBe('https://h.example/gitlab/g/a/-/jobs/42');
    expect(checkedJobUrl(job(null, 'g/a'), 'https://h.example/gitlab')).toBe(
      'https://h.example/gitlab/g/a/-/jobs/42',
    );
  });

  it.each([
    [
      'another host',
      'https://evil.example/group/app/-/jobs/42',
      'is not on the configured instance',
    ],
    [
      'another port',
      'https://gitlab.example:444/group/app/-/jobs/42',
      'is not on the configured instance',
    ],
    ['another scheme', 'javascript:alert(1)//gitlab.example/-/jobs/42', 'is not http or https'],
    ['file URL', 'file:///etc/passwd', 'is not http or https'],
    ['credentials', 'https://u:p@gitlab.example/group/app/-/jobs/42', 'carries credentials'],
    ['another page', 'https://gitlab.example/admin/users', 'is not the page of this job'],
    ['another job', 'https://gitlab.example/group/app/-/jobs/43', 'is not the page of this job'],
    ['not a URL', 'not a url', 'is not a URL'],
  ])('refuses %s', (_what, url, message) => {
    expect(() => checkedJobUrl(job(url), 'https://gitlab.example')).toThrow(message);
    try {
      checkedJobUrl(job(url), 'https://gitlab.example');
    } catch (error) {
      expect((error as { code?: string }).code).toMatch(/refused/);
    }
  });

  it('refuses a URL outside the instance sub-path', () => {
    expect(() =>
      checkedJobUrl(job('https://h.example/other/g/a/-/jobs/42'), 'https://h.example/gitlab'),
    ).toThrow("is outside the instance's path /gitlab/");
  });

  it('drops query and fragment so nothing but the job page is opened', () => {
    expect(
      checkedJobUrl(job('https://gitlab.example/g/a/-/jobs/42?x=1#y'), 'https://gitlab.example'),
    ).toBe('https://gitlab.example/g/a/-/jobs/42');
  });

  it('says what is missing when there is neither a URL nor a project path', () => {
    expect(() => checkedJobUrl(job(null, null), 'https://gitlab.example')).toThrow(
      /no web URL and no project path/,
    );
  });
});
