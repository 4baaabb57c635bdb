// The wording of settings problems is shared with the renderer's Settings view, which
// shows the same message next to the field; the functions live in shared/.
export { formatIssue, formatIssues, formatPath } from '../../../shared/settings-issues';
