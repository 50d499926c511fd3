# Signons, English. Every key here must also be in fr/main.ftl (a test checks).

nav-skip = Skip to content
nav-label = Main menu
nav-dashboard = My petitions
nav-new-petition = New petition
nav-logout = Log out
nav-login = Organizer login
lang-name = English
# The thousands separator of numbers ("1,000"); a string literal keeps a space.
number-group-separator = ,
footer-free-software = Signons is free software (AGPL-3.0-or-later): your personal data stays on this instance.

welcome-title = Welcome to { $instance }
welcome-intro = This instance is ready. It has no organizer yet; here is how to start.
welcome-step-organizer = Create the first organizer on the server (the password is asked twice, or read from the first line of standard input):
welcome-step-organizer-source = From a checkout of the source code, as with make run:
welcome-step-login = Log in with that email and password at
welcome-step-petition = Write your first petition, preview it, and publish it.

home-title = Petitions
home-empty = There are no open petitions yet. Come back soon!
home-most-signed = Most signed
home-newest = Newest

signature-count = { $count ->
    [one] 1 signature
   *[other] { $count } signatures
}
petition-to = To: { $target }
petition-by = By { $organization }
petition-goal = of { $goal } needed
petition-by-instance = Signed on:
petition-partners = Carried with:
petition-progress = { $percent }% of the goal
petition-ends = Closes on { $date }
petition-draft-banner = Draft: only your organization can see this petition until it is published.
petition-closed-banner = This petition is closed and no longer accepts signatures.
petition-recent-signers = Recent signers
action-edit = Edit
action-publish = Publish
action-close = Close the petition
action-remove = Remove…
action-remove-confirm = Remove the petition and its signatures
remove-warning = Every signature is deleted, with its signer’s data; the petition’s address will say it was removed, and instances that follow it are told. This cannot be undone.

sign-title = Sign this petition
sign-closed = Signatures are closed
sign-not-yet = Signatures open once the petition is published
sign-name = Your name
sign-email = Your email
sign-country = Country
sign-postal-code = Postal code
sign-comment = Why are you signing?
form-optional = (optional)
sign-public = Show my name publicly on this petition
sign-opt-in = Send me news from { $organization } (you can stop at any time)
sign-button = Sign
sign-privacy = Your email is used only to confirm your signature and is never shown. It stays on { $instance }. { $organization } sees your name, and your email only if you ask for their news. You can withdraw your signature at any time with the link in the email.
sign-fix-errors = Please correct the fields marked below.

thanks-title = Check your email
thanks-body = We have sent you an email. Click the link it contains to confirm your signature of “{ $title }”: it counts only once confirmed.
thanks-spam = Nothing after a few minutes? Look in your spam folder.
back-to-petition = Back to the petition
back-home = Back to the home page

confirm-title = Confirm your signature
confirm-body = { $name }, please confirm that you sign “{ $title }”.
confirm-button = Confirm my signature
confirm-details = What you confirm
confirm-comment = Your comment
confirm-visibility = Public signature
confirm-public-yes = Yes: your name is shown on the petition
confirm-public-no = No: your name is not shown
confirm-news = News from the organization
confirm-opt-in-yes = Yes, send me its news
confirm-opt-in-no = No news
confirm-change = Something is not right? Sign again with the petition's form: your new details replace these, and a new link is sent to you.
already-confirmed-title = Your signature is already confirmed
already-confirmed-body = This link was already used: your signature of “{ $title }” counts. There is nothing more to do.

confirmed-title = Thank you, your signature counts!
confirmed-body = You have signed “{ $title }”.
confirmed-share = A petition grows when people share it: send this link to your friends.
confirmed-share-label = Link to the petition

withdraw-title = Withdraw your signature
withdraw-body = { $name }, do you want to withdraw your signature from “{ $title }”? Your name and email will be deleted.
withdraw-button = Withdraw my signature
withdrawn-title = Your signature was withdrawn
withdrawn-body = Your signature of “{ $title }” and your personal data were deleted.

login-title = Organizer login
login-email = Email
login-password = Password
login-button = Log in
login-help = Accounts are created by the instance's administrators.

dashboard-title = Petitions of { $organization }
dashboard-empty = You have no petitions yet.
dashboard-col-title = Petition
dashboard-col-status = Status
dashboard-col-signatures = Signatures / goal
status-draft = Draft
status-open = Open
status-closed = Closed

editor-new-title = New petition
editor-edit-title = Edit the draft
editor-title = Title
editor-target = Addressed to
editor-target-hint = The person or body who can make the decision, e.g. “The city council of Lyon”.
editor-description = Text
editor-description-hint = Explain what you ask and why. Markdown: **bold**, *italic*, [link](https://…), lists with “-”.
editor-goal = Signature goal
editor-end-date = End date
editor-fields = Also ask signers for
editor-preview = Preview
editor-save-draft = Save as draft

email-news-intro = { $organization } has news about “{ $title }”, which you signed:
email-news-why = You get this email because you asked for news from { $organization } when you signed.
email-news-subject = News: { $title }
email-news-unsubscribe = To stop getting news of this petition:
email-news-unsubscribe-link = Stop getting news of this petition
unsubscribe-title = Stop getting news
unsubscribe-body = Do you want to stop getting the news of { $organization } about “{ $title }”?
unsubscribe-button = Stop getting news
unsubscribe-scope = This concerns this petition only: your signature stays, and the news of other petitions you signed still comes.
unsubscribed-title = You will get no more news
unsubscribed-body = You will get no more news of { $organization } about “{ $title }”.
unsubscribed-already = You already get no news about “{ $title }”.
email-hello = Hello { $name },
email-confirm-signature-subject = Confirm your signature: { $title }
email-confirm-intro = Thank you for signing “{ $title }”. Your signature counts once you confirm it with this link:
email-confirm-expiry = The link is valid for { $hours } hours.
email-confirm-ignore = If you did not sign this petition, ignore this email: nothing will be counted and your address will be deleted.
email-withdraw-intro = To withdraw your signature at any time:
email-already-signed-subject = You have already signed: { $title }
email-already-intro = Someone (probably you) tried to sign “{ $title }” again with this address. Your signature was already recorded: nothing changes.
email-already-not-you = If it was not you, you can ignore this email.

error-title = Error { $status }
error-required = This field is required.
error-too-short = At least { $min } characters.
error-too-long = At most { $max } characters.
error-control-characters = This field contains characters that are not allowed.
error-email-invalid = This is not a valid email address.
error-email-disposable = Addresses of this disposable email service are not accepted: please use an address you keep.
error-slug-invalid = Use 3 to 64 lowercase letters, digits and single hyphens.
error-goal-invalid = A whole number between 1 and { $max }.
error-end-date-range = The end date must be in the future, and within two years.
error-date-invalid = Use the format YYYY-MM-DD.
error-postal-code-invalid = Letters, digits, spaces and hyphens only.
error-invalid-input = Some fields are invalid.
error-bad-request = The request could not be understood.
error-payload-too-large = The request is too large.
error-not-found = This page does not exist.
error-gone = This petition was removed by its organizers.
error-petition-closed = This petition no longer accepts signatures.
error-invalid-token = This link is not valid, or was already used.
error-expired-token = This link has expired. Sign the petition again to receive a new one.
error-unauthorized = Please log in first.
error-bad-credentials = Wrong email or password.
error-forbidden = You are not allowed to do this.
error-csrf-failed = The form expired. Please submit it again.
error-rate-limited = Too many attempts from your connection. Please wait a little and try again.
error-login-throttled = Too many failed attempts for this address. Please wait 15 minutes and try again, or reset your password.
error-invalid-state = This action is not possible in the petition's current state.
error-unavailable = The service is unavailable for a moment. Please try again in a few seconds.
error-internal-error = Something went wrong on our side. Please try again later.

# Federation
petition-follow-handle = Follow it on Mastodon or Lemmy:
home-remote = From instances we follow
remote-banner = This petition lives on { $host }. Sign it here: your signature counts there, and your email address stays here.
remote-sign-at = See it on { $host }
counted-elsewhere-body = You have already signed “{ $title }” through another instance: your signature counts once, and nothing changes. This confirmation is deleted.
remote-news = News
remote-sign-privacy = Your email address stays on { $instance }. { $host } receives only your confirmation, a code that stops anyone signing twice, and what you choose to make public.
remote-sign-opt-in = Send me news of this petition (by { $instance }, which keeps your address)
remote-thanks-elsewhere = Once you confirm, { $instance } sends your signature to { $host }, where the petition is counted.
elsewhere-refused-title = Your signature was not counted
elsewhere-waiting = Your signature was sent to { $host }: it will appear in the count shortly.
elsewhere-counted = { $host } counted your signature.
elsewhere-refused = { $host } did not count your signature.
refused-already-signed = This address has already signed this petition, on this or another instance.
refused-petition-closed = The petition no longer accepts signatures.
refused-instance-refused = The petition's instance does not accept signatures from this instance.
email-signature-refused-subject = Your signature was not counted: { $title }
email-refused-intro = You confirmed your signature of “{ $title }”, but the petition's instance did not count it:
email-refused-data = Your address stays on this instance only; it was never sent to the petition's instance.

# Admin: federation policy
admin-federation-link = Federation
admin-federation-title = Federation
admin-federation-intro = Which other servers this instance exchanges petitions and news with. Everything from a blocked domain is refused before it is processed.
admin-mode-title = Mode
admin-mode-current = Current mode:
admin-mode-legend = Federate with
admin-mode-open = Open
admin-mode-open-hint = every domain except the blocked ones
admin-mode-allowlist = Allow-list
admin-mode-allowlist-hint = only the allowed domains
admin-mode-button = Change the mode
admin-rules-title = Domain rules
admin-rules-empty = No domain has a rule yet.
admin-policy-allow = allowed
admin-policy-block = blocked
admin-rule-remove = Remove the rule
admin-domain-hint = A domain such as example.org; its subdomains are covered too. With a port (localhost:8551), only that port.
admin-block-label = Block a domain
admin-block-button = Block
admin-allow-label = Allow a domain
admin-allow-button = Allow
admin-following-title = Servers this instance follows
admin-follow-label = Follow an instance, an organization or a handle
admin-follow-hint = An instance's address (https://petitions.example.org), an organization's address, or a handle such as name@example.org. Its domain is then allowed.
admin-follow-button = Follow
admin-following-empty = This instance follows nobody yet.
admin-state-pending = waiting for an answer
admin-state-accepted = accepted
admin-state-rejected = rejected
admin-unfollow-button = Stop following
admin-followers-title = Followers
admin-followers-empty = Nobody follows this instance yet.
admin-followers-count = { $count ->
    [one] 1 follower
   *[other] { $count } followers
}
admin-deliveries-title = Deliveries
admin-deliveries-waiting = { $count ->
    [one] 1 delivery is waiting to be sent.
   *[other] { $count } deliveries are waiting to be sent.
}
admin-done-mode = The federation mode was changed.
admin-done-block = The domain is blocked; what was waiting to be sent there was dropped.
admin-done-allow = The domain is allowed.
admin-done-forget = The rule was removed.
admin-done-follow = The follow request is on its way; it shows as accepted once the other server answers.
admin-done-unfollow = This instance no longer follows that actor.
admin-error-mode = Choose open or allow-list.
admin-error-action = This action is unknown.
admin-error-domain = This is not a domain. Write it like example.org, or localhost:8551 with a port.
admin-error-follow-invalid = This cannot be followed. Give an instance's address (https://…), an organization's address or a handle such as name@example.org.
admin-error-follow-refused = Your policy refuses { $domain }: it is blocked, or the mode is allow-list and it is not allowed. Change its rule first.
admin-error-follow-unreachable = Could not follow this address: its server did not answer, or not as an ActivityPub server. Check the address, or try again later.
admin-error-not-following = This instance does not follow that actor.
admin-error-detail = Technical detail: { $detail }
organization-follow-handle = Follow this organization on Mastodon or Lemmy:
organization-petitions = Petitions
organization-empty = No published petition yet.
petition-news = News
action-post-news = Post news…
action-post-news-confirm = Post the news
news-label = News for the signers and the petition's followers
news-hint = Markdown. Shown on this page and sent to the petition's followers on Mastodon, Lemmy and other Signons instances.
admin-jobs-link = Background jobs
admin-jobs-title = Background jobs
admin-jobs-intro = Emails and federation deliveries wait here until they are sent. A job that keeps failing past its retry delay (7 days for an email, the federation give-up delay for a delivery), or that can never succeed, is kept as dead until you retry it.
admin-jobs-queues-title = Queues
admin-jobs-queue = Queue
admin-jobs-queued = Waiting
admin-jobs-running = Being sent
admin-jobs-dead = Dead
admin-jobs-queue-email = Emails
admin-jobs-queue-delivery = Federation deliveries
admin-jobs-dead-title = Dead jobs
admin-jobs-dead-empty = No job is dead.
admin-jobs-to = to { $target }
admin-jobs-attempts = { $count ->
    [one] 1 attempt
   *[other] { $count } attempts
}
admin-jobs-queued-at = queued { $at }
admin-jobs-no-error = no error recorded
admin-jobs-retry = Retry
admin-jobs-retry-all = Retry every dead job
admin-jobs-done-retry = The jobs are queued again; they are sent within seconds.
admin-jobs-error-unknown = There is no such dead job (it may have been retried already).

# Bulk invalidation (/admin/invalidate, `signons admin invalidate`)
invalidate-link = Invalidate signatures
invalidate-title = Invalidate signatures
invalidate-intro = Remove a bulk of fake signatures from a petition: by the network they came from, the domain of their email, or when they were made. You see what would go before anything changes. Invalidated signatures no longer count or show, their links stop working, and their addresses cannot sign that petition again.
invalidate-filter-title = Which signatures
invalidate-petition = Petition
invalidate-petition-hint = Its short name, as in its address: /p/short-name. For a petition of another instance signed here, its handle: short-name@instance (its count there drops once that instance has the withdrawal).
invalidate-network = Network
invalidate-network-hint = A range such as 203.0.113.0/24 or 2001:db8:1::/48. Only the /24 (IPv4) or /48 (IPv6) of each signer is kept, as a keyed hash: a range can be wider (down to /12 or /36), never narrower.
invalidate-domain = Email domain
invalidate-domain-hint = The part after the @, e.g. example.org (its subdomains are not included).
invalidate-window-hint = Signed between these times, in UTC (the first included, the second not).
invalidate-from = From
invalidate-until = Until
invalidate-preview = Show what would go
invalidate-preview-title = What would go from “{ $title }”
invalidate-preview-counts = { $confirmed ->
    [one] 1 confirmed signature
   *[other] { $confirmed } confirmed signatures
} (the count drops by as much) and { $pending ->
    [one] 1 signature not yet confirmed
   *[other] { $pending } signatures not yet confirmed
}.
invalidate-preview-none = No signature matches: nothing would change.
invalidate-examples = The newest of them
invalidate-erased = (personal data already erased)
invalidate-signed-at = signed { $at }
invalidate-confirmed-at = confirmed { $at }
invalidate-pending = not confirmed
invalidate-confirm = { $count ->
    [one] Invalidate this signature
   *[other] Invalidate these { $count } signatures
}
invalidate-done-title = Signatures invalidated
invalidate-done = “{ $title }”: { $confirmed ->
    [one] 1 confirmed signature
   *[other] { $confirmed } confirmed signatures
} and { $pending ->
    [one] 1 unconfirmed one
   *[other] { $pending } unconfirmed ones
} invalidated. The count is corrected.
invalidate-again = Invalidate others
invalidate-earlier = Earlier invalidations of this petition
invalidate-earlier-item = { $at }, by { $name }: { $confirmed } confirmed and { $pending } unconfirmed, filter
invalidate-error-no-filter = Give at least a network, an email domain or a time.
invalidate-error-petition = There is no petition with this short name here.
invalidate-error-network = Write a network as an address, a slash and a prefix length, e.g. 203.0.113.0/24.
invalidate-error-network-narrow = Only whole networks are kept: give a /{ $max } or a wider range (a smaller number after the slash).
invalidate-error-network-wide = This range covers too many networks: give a /{ $min } or a narrower one.
invalidate-error-domain = Write a domain such as example.org.
invalidate-error-time = Write a time such as 2026-12-01T09:30:00Z.
invalidate-error-window = The end must come after the start.

# The listing of petitions (GET /petitions)
nav-petitions = Petitions
list-title = Petitions
list-intro = The petitions of this instance and of the instances it follows. Those of another instance are marked with its address: you sign them here, and they are counted there.
list-search-label = Search in titles and texts
list-search-button = Search
list-count = { $count ->
    [one] 1 petition
   *[other] { $count } petitions
}
list-count-search = { $count ->
    [one] 1 petition matches “{ $query }”
   *[other] { $count } petitions match “{ $query }”
}
list-empty = No petition is published yet.
list-no-match = No petition matches “{ $query }”.
list-past-end = There are fewer pages than that.
list-first-page = Back to the first page
list-from-host = on { $host }
list-pages-label = Pages
list-previous = Previous page
list-next = Next page
list-page = Page { $page } of { $pages }
list-error-search-too-long = The search is too long: { $max } characters at most.
list-error-search-characters = The search contains characters that are not allowed.
list-error-page = This is not a page number: use a whole number from 1 to { $max }.
list-error-query = This address could not be read. Type your search again.
home-all-petitions = All petitions, and search

## Accounts: password, API tokens, a forgotten password
account-link = Account and API tokens
account-title = Your account
account-password-title = Change your password
account-current-password = Current password
account-new-password = New password
account-new-password-again = New password, again
account-password-hint = At least 10 characters. Your other sessions will be logged out and your API tokens revoked; this session stays.
account-password-button = Change the password
account-password-changed = Your password was changed. Your other sessions were logged out and your API tokens revoked.
account-tokens-title = API tokens
account-tokens-intro = Scripts and tools send these tokens to the JSON API (Authorization: Bearer …). A token is shown only once, when it is created; revoke one that may have leaked.
account-tokens-empty = You have no API token.
account-token-col-name = Name
account-token-col-id = Id
account-token-col-created = Created
account-token-col-last-used = Last used
account-token-col-expires = Expires
account-token-col-actions = Actions
account-token-unnamed = (unnamed)
account-token-never-used = never
account-token-no-expiry = No expiry
account-token-expired = Expired on { $date }
account-token-revoke = Revoke
account-token-revoked = The token was revoked: it no longer works.
account-token-create = Create a token
account-token-name = Name (what will use it)
account-token-lifetime = Valid for
account-token-days = { $days } days
account-token-created = Your new token: copy it now, it will not be shown again.
login-forgot = Forgot your password?
forgot-title = Forgot your password
forgot-intro = Enter the email address of your organizer account: we will send it a link to choose a new password.
forgot-button = Send the link
forgot-sent = If an organizer account uses this address, we have sent it a link to choose a new password. The link works once, for { $minutes } minutes.
reset-title = Choose a new password
reset-hint = At least 10 characters. Every session of your account will be logged out.
reset-submit = Save the new password
reset-button = Choose a new password
reset-done = Your password was changed, and every session of your account was logged out. You can log in with the new password.
reset-invalid = This link is not valid, or was already used.
reset-expired = This link has expired.
reset-ask-again = Ask for a new link
error-password-mismatch = The two passwords differ.
error-wrong-password = This is not your current password.
error-token-lifetime = A whole number of days, from 1 to { $max }.
error-token-expired = This API token has expired; create a new one.
email-password-reset-subject = Reset your password on { $title }
email-reset-intro = Someone (probably you) asked to reset the password of your organizer account on { $instance }. To choose a new password, open this link:
email-reset-expiry = The link works once, for { $minutes } minutes.
email-reset-ignore = If you did not ask for this, ignore this email: your password stays as it is.

# Bots on the sign forms: the honeypot and the proof of work
sign-honeypot = Leave this field empty (it is here to catch robots)
sign-pow-noscript = To tell people from robots, this form has your browser solve a small puzzle, without any third party. Please turn JavaScript on to sign.
sign-pow-working = Checking that you are not a robot, one moment…
error-proof-of-work-required = This form needs JavaScript, which checks that a person is signing. Please turn JavaScript on and send the form again.
error-proof-of-work-invalid = The check that you are not a robot expired or failed. Please send the form again.

# The organizers' export of signatures
export-csv-link = Download the signatures (CSV)
export-print-link = Printable list
print-title = Signatures of “{ $title }”
print-back = Back to the petition
print-hint = Print this page (Ctrl+P or ⌘+P) to hand it over. It holds the names signers made public and their places, never an email address.
print-total = { $count ->
    [one] { $count } signature
   *[other] { $count } signatures
}
print-date = as of { $date }
print-col-name = Name
print-col-country = Country
print-col-postal-code = Postal code
print-anonymous = Anonymous

# Onboarding and the petition lifecycle (issue 11)
dashboard-empty-title = Start your first petition
dashboard-empty-steps = Say what you ask, to whom, and how many signatures you need. Keep it as a draft until it is ready, then publish it and share its address.
dashboard-empty-action = Create your first petition
status-won = Won
editor-edit-published-title = Edit the petition
editor-edit-published-hint = The petition keeps its address. Its page will say when it was updated, and the instances that follow it are told. What signers are asked cannot change once it is published.
editor-save-changes = Save the changes
petition-updated = Updated on { $date }
petition-won-title = Victory!
sign-won = This petition won: signatures are closed
action-reopen = Reopen the petition
action-win = Mark as won…
reopen-end-date-passed = Its end date has passed: change the end date to reopen it.
close-confirm-title = Close this petition?
close-confirm-text = It stops taking signatures; you can reopen it.
close-confirm-button = Yes, close the petition
action-cancel = Cancel
win-title = Mark “{ $title }” as won
win-hint = Tell signers what was won. Markdown: **bold**, *italic*, [link](https://…). The message shows at the top of the petition, and signing stops.
win-message = Victory message
win-button = Declare the victory

## Sharing (partials/share.html, /share) and the follow box
share-title = Share this petition
share-email = Email
share-fediverse-label = Share on your Mastodon or other fediverse server
share-fediverse-hint = Your server's address, such as mastodon.social: you will write the post there.
share-fediverse-button = Share
share-link-label = Link to the petition
share-copy = Copy the link
share-copied = Link copied.
share-bad-instance = “{ $host }” is not the address of a server. Enter it as mastodon.social, without @ or https://.
share-bad-url = Only petitions of this instance can be shared from here.
share-sign-first = Sign
follow-title = Follow this petition
follow-explain = On Mastodon, Lemmy or another fediverse server, search for this address and follow it: its news and its count will reach your timeline. You do not need to sign for that.
petition-summary-fallback = A petition to { $target }.
share-continue = Continue to { $host }
share-continue-hint = Your server opens with the post written; check it and publish it there.

## The insight page (/p/{slug}/insight)
insight-heading = Insight: { $title }
insight-link = Insight
insight-empty = No confirmed signature yet: the charts appear with the first one.
insight-over-time = Signatures over time
insight-chart-summary = { $count } confirmed signatures between { $date } and { $at }.
insight-chart-legend = The line is the total; each bar, the signatures confirmed that day (days without any are left out).
insight-by-day = Day by day
insight-day = Day
insight-signatures = Signatures
insight-cumulative = Total
insight-origins = Where signatures were collected
insight-origins-hint = Signatures collected by other instances are counted here; their signers' personal data stays there.
insight-here = this instance
insight-arrivals = How signers arrived
insight-arrivals-hint = Told by the page the form was sent from, without cookies: the petition's page, a link from its share buttons, the widget embedded in another site, or another instance.
insight-arrival-direct = The petition's page
insight-arrival-shared-link = A shared link
insight-arrival-embed = The embedded widget
insight-arrival-other-instance = Another instance
insight-opt-in = Asked for your news
insight-opt-in-detail = { $count } of the { $confirmed } signers who signed here.
insight-countries = By country
insight-postal = By postal code (first two characters)
insight-where = Where
insight-other = Other
insight-not-given = Not given
## Moderation: reports, the admin's queue, hidden petitions
status-hidden = Hidden by the moderators
error-hidden = This petition was hidden by the moderators of this instance: { $reason }
dashboard-hidden-reason = Reason: { $reason }
report-link = Report this petition
report-title = Report this petition
report-intro = Tell the moderators of this instance what is wrong with “{ $title }”.
report-reason = Reason
report-reason-spam = Spam
report-reason-hateful = Hateful content
report-reason-misleading = Misleading
report-reason-personal_data = Personal data published
report-reason-other = Other
report-reason-edited = Changed since it was approved (read it again)
report-details = Details (optional)
report-privacy = Your report is anonymous: neither your email nor your address is stored with it.
report-send = Send the report
report-fix-errors = Please choose a reason, and keep the details short.
report-thanks = Thank you: the moderators of this instance will look at your report.
moderation-link = Moderation
moderation-title = Moderation
moderation-intro = Reports sent by visitors, grouped by petition, the most recent first. Dismiss them, or hide the petition with a reason its visitors will read.
moderation-reports-title = Open reports
moderation-empty = No open report.
moderation-count = { $count ->
    [one] 1 report
   *[other] { $count } reports
}
moderation-dismiss = Dismiss the reports
moderation-hide-reason = Reason shown to visitors
moderation-hide = Hide the petition
moderation-hidden-title = Hidden petitions
moderation-hidden-empty = No hidden petition.
moderation-unhide = Unhide
moderation-done-dismiss = The reports were dismissed.
moderation-done-hide = The petition is hidden.
moderation-done-unhide = The petition is visible again.
moderation-error-reason = Give a reason (3 to 500 characters) to hide a petition.

## The decision maker's response
action-response = Post the response
response-form-title = The response to “{ $title }”
response-form-intro = When { $target } answers, post the answer here: it shows at the top of the petition, goes to its followers, and is emailed to the signers who asked for news. A new response replaces the previous one.
response-responder = Who answered
response-responder-hint = For example: The Mayor of Lyon.
response-text = Their answer
response-text-hint = Quote or summarize it faithfully, with a link to the original if there is one. Markdown: **bold**, *italic*, [link](https://…).
response-button = Post the response
response-title = The response of { $name }
response-posted = Posted on { $date }

## Instance settings, privacy page and review before publication (issue 11)
settings-link = Settings
settings-title = Instance settings
settings-name = Name of the instance
settings-description = Description (shown on the privacy page)
settings-contact = Contact address for signers and organizers (optional)
settings-signup = How organizers join
settings-signup-open = Anyone may create an organization on this instance
settings-signup-invitation = By invitation only: an organization's owner invites its members
settings-premoderation = Review before publication
settings-premoderation-off = Petitions are published as soon as their organizers publish them
settings-premoderation-on = An admin approves each petition before it is published
settings-retention = Days after a petition ends before its signers' names and addresses are anonymized
settings-retention-hint = The count stays; the names and email addresses are erased. Organizers should export their list before then.
settings-save = Save the settings
settings-saved = The settings are saved.
error-choice-invalid = Choose one of the options.
error-days-invalid = A whole number of days, from 1 to { $max }.
privacy-link = Privacy
privacy-title = Privacy
privacy-intro = What { $instance } keeps about the people who sign its petitions, for how long, and who sees it.
privacy-kept-title = What is kept
privacy-kept = Your name and email address, the country and postal code when a petition asks for them, your comment, and whether you asked for news. Your name and comment are shown publicly only if you tick the box for it. Your email address is never shown, and only the petition's organizers may download the list of signers.
privacy-how-long-title = For how long
privacy-unconfirmed = A signature not confirmed within { $hours } hours no longer counts, and is deleted after { $days } days.
privacy-anonymized = { $days } days after a petition ends, its signers' names and email addresses are erased; the count stays.
privacy-max-age = In any case, no signer's personal data is kept more than { $days } days.
privacy-shared-title = Who it is shared with
privacy-shared = No one else: no advertising, no tracker, no third-party service. Pages load nothing from other sites.
privacy-federation = When you sign here a petition of another instance, your name and address stay here: that instance receives only a signed statement that one more person signed (with your name only if you made it public).
privacy-cookies-title = Cookies
privacy-cookies = Only the cookies the site needs: one against forged forms, and a session cookie for organizers who log in.
privacy-rights-title = Your rights
privacy-rights = Each email we send you has a link to withdraw your signature, which deletes it, and a link to stop the news.
privacy-contact = For any question about your data, write to { $email }.
moderation-review-title = Waiting for review
moderation-review-empty = No petition is waiting for review.
moderation-review-by = Submitted by { $organization }
moderation-approve = Approve and publish
moderation-send-back-note = What to change (shown to its organizers)
moderation-send-back = Send back to its organizers
moderation-done-approve = The petition is published.
moderation-done-send-back = The petition was sent back to its organizers as a draft.
moderation-error-note = Say what to change (3 to 500 characters) to send a petition back.
petition-review-banner = Waiting for review: an admin of this instance approves each petition before it is published.
petition-sent-back = The moderators sent this petition back. Change it, then publish it again:
status-review = Waiting for review
milestones-title = Milestone messages: { $title }
milestones-intro = Write now what you want said when the petition passes a milestone: it is added to the milestone's note, on the petition's page and for its followers.
milestones-at = { $count ->
    [one] At { $count } signature
   *[other] At { $count } signatures
}
milestones-hint = Markdown is allowed. An empty box has no message. A milestone already passed keeps the note it had.
milestones-button = Save the messages
milestones-saved = The milestone messages are saved.
action-milestones = Milestone messages
error-milestone-invalid = This is not one of the petition's milestones.
## Social proof (issue 12): relative times, dates, comments, the goal's steps
time-just-now = just now
time-minutes-ago = { $minutes ->
    [one] 1 minute ago
   *[other] { $minutes } minutes ago
}
time-hours-ago = { $hours ->
    [one] 1 hour ago
   *[other] { $hours } hours ago
}
time-yesterday = yesterday
date-long = { $day } { $month } { $year }
date-month-1 = January
date-month-2 = February
date-month-3 = March
date-month-4 = April
date-month-5 = May
date-month-6 = June
date-month-7 = July
date-month-8 = August
date-month-9 = September
date-month-10 = October
date-month-11 = November
date-month-12 = December
comment-hide = Hide this comment
comment-unhide = Show this comment again
comments-link = Comments
comments-title = Comments on “{ $title }”
comments-intro = The comments signers chose to make public, newest first. A hidden comment leaves the petition page and the API at once; it stays in the export, marked hidden, and can be shown again.
comments-none = No signer has left a public comment yet.
comments-none-here = There are no more comments.
comments-hidden = Hidden
comments-pages = Pages of comments
comments-newer = Newer comments
comments-older = Older comments
comments-back = Back to the petition
editor-goal-fixed = Keep this goal once it is reached
editor-goal-fixed-hint = Otherwise, once the goal is reached the page shows the next one (100, 200, 500, 1,000…), so that the petition keeps growing.
## A picture per petition (issue 12)
picture-title = Picture
picture-file = An image (PNG, JPEG or WebP, at most 10 MB)
picture-file-hint = It is shown on the petition, in lists and when the link is shared. Its metadata (place, camera) is removed.
picture-alt = Description of the image
picture-alt-hint = For people who cannot see it: what it shows, in a sentence (at most { $max } characters).
picture-upload = Upload the picture
picture-remove = Remove the picture
picture-error-missing = Choose an image to upload.
picture-error-too-large = This file is larger than 10 MB: choose a smaller image.
picture-error-not-image = This file is not an image: choose a PNG, JPEG or WebP file.
picture-error-too-many-pixels = This image has too many pixels (more than 40 million): choose a smaller one.
picture-error-corrupt = This image is damaged and cannot be read: try another file.
picture-error-alt = Describe the image in a sentence.
picture-error-alt-too-long = The description is too long: at most 200 characters.
## An organization's logo (issue 11)
logo-title = Logo
logo-file = An image (PNG, JPEG or WebP, at most 10 MB)
logo-file-hint = It is shown on the organization's page, beside its name on its petitions, and to the fediverse. Its metadata (place, camera) is removed.
logo-upload = Upload the logo
logo-remove = Remove the logo
## Finding petitions, feeds, embed, oEmbed
list-filter-organization = Organization
list-filter-any-organization = Any organization
list-filter-status = Status
list-filter-any-status = Any status
list-status-open = Open
list-sort = Sort by
list-sort-newest = Newest
list-sort-most-signed = Most signed
list-sort-trending = Trending (most signed this week)
list-filter-apply = Apply
list-no-match-filters = No petition matches these filters.
list-error-sort = This is not a way to sort the petitions: choose newest, most signed or trending.
list-error-status = This is not a status: choose open, won or closed.
list-error-organization = This is not the name of an organization.
home-intro = { $instance } hosts petitions: sign those you support (we ask only what the petition needs, and your email to confirm), share them, or follow them from the fediverse.
home-trending = Trending this week
home-won = Recently won
feed-petitions-title = New petitions on { $instance }
feed-news-title = News of “{ $title }”
feed-news-entry-title = News of “{ $title }”, { $date }
embed-snippet-label = Put this petition on your site: copy this code into a page
embed-snippet-hint = It shows the count, the progress and the sign form; signing opens this site in a new tab.
embed-read-more = The whole petition on { $instance }
## Organizations: members, roles, invitations, sign-up (issue 11)
role-owner = Owner
role-editor = Editor
members-link = Members
members-title = Members of { $organization }
members-col-email = Email
members-col-role = Role
members-col-actions = Change
members-change-role = Change the role
members-remove = Remove
members-remove-confirm = Remove { $email } from the organization
members-invite-title = Invite someone
members-invite-email = Their email
members-invite-hint = Owners manage the organization and its members; editors run its petitions. The invitation link works for 7 days.
members-invite-submit = Send the invitation
members-invitation-sent = The invitation was sent.
members-role-changed = The role was changed.
members-removed = The member was removed.
members-last-owner = An organization keeps at least one owner: make someone else an owner first.
members-read-only = Only the organization's owners invite members and change roles.
organization-edit-link = Edit the organization
organization-edit-title = The organization
organization-edit-name = Name
organization-edit-description = Description
organization-edit-website = Website
organization-edit-submit = Save
organization-website = Website
organization-marker-open = Open
organization-marker-won = Won
organization-marker-closed = Closed
editor-organization = Organization
invitation-title = Invitation
invitation-intro = You are invited to join { $organization } with the address { $email }.
invitation-role-owner = As an owner, you will manage the organization, its members and its petitions.
invitation-role-editor = As an editor, you will run its petitions.
invitation-existing-hint = This address has an account: give its password to join.
invitation-new-hint = Choose a password for your account (at least { $min } characters).
invitation-join = Join
invitation-create = Create my account and join
invitation-invalid = This invitation link is not valid, or was already used.
invitation-expired = This invitation has expired: ask the organization for a new one.
invitation-open-button = Accept the invitation
email-invitation-subject = Join { $title }
email-invitation-intro = You are invited to join { $organization } on { $instance }, to run its petitions. To accept, open this link:
email-invitation-expiry = The link works once, for { $days } days.
email-invitation-ignore = If you did not expect this, ignore this email.
signup-title = Create an organization
signup-organization = Your organization's name
signup-submit = Create the organization
signup-by-invitation = Accounts on this instance are by invitation only: ask an organization that runs petitions here to invite you.
error-already-member = This address is already a member.
error-role-invalid = Choose owner or editor.
error-account-exists = This address already has an account: log in instead.
error-url-invalid = Give an address starting with https:// or http://.
error-organization-unknown = No organization has this name.
map-shape-title = { $name }: { $count ->
    [one] 1 signature
   *[other] { $count } signatures
}
map-section = Where signers are
map-countries = Signatures by country
map-departements = Signatures by département (French postal codes)
map-summary = { $count ->
    [one] 1 signature
   *[other] { $count } signatures
} in { $places ->
    [one] 1 place
   *[other] { $places } places
}; the table below gives every figure.
map-legend = Signatures per place
map-legend-none = none
map-table = The figures
map-small-cells = Postal areas with fewer than { $min } signatures are counted under “Other”, so that no signer’s place is singled out.
map-credit = Map: svg-maps by Victor Cazanave, CC BY 4.0 (simplified).

members-pending-title = Invitations not yet accepted
members-pending-empty = No invitation is waiting.
members-col-sent = Sent
members-cancel-invitation = Cancel the invitation
members-invitation-cancelled = The invitation was cancelled: its link no longer works.
invitation-cancelled = This invitation was cancelled by the organization: ask it for a new one if you should join.
error-invitation-cancelled = This invitation was cancelled by the organization.
error-account-disabled = This account was disabled by the instance's administrators. Write to them if you think this is a mistake.
admin-people-link = People
admin-people-title = People and organizations
admin-people-intro = Every organizer of this instance and every organization. A disabled account cannot log in, its sessions end at once and its API tokens are refused, until it is enabled again.
admin-people-search-label = Search by email or organization
admin-people-organizers-title = Organizers
admin-people-organizations-title = Organizations
admin-people-none = Nobody matches.
admin-people-col-organizations = Organizations and roles
admin-people-col-created = Created
admin-people-col-state = Account
admin-people-col-name = Name
admin-people-col-slug = Address
admin-people-col-members = Members
admin-people-col-petitions = Petitions
admin-people-admin = admin
admin-people-active = Active
admin-people-disabled = Disabled
admin-people-you = Your account
admin-people-disable = Disable
admin-people-enable = Enable
admin-people-done-disabled = The account was disabled: its sessions ended and it can no longer log in.
admin-people-done-enabled = The account was enabled: it can log in again.
admin-people-error-own-account = You cannot disable your own account: another admin may do it.
