# Signons, français. Chaque clé doit aussi figurer dans en/main.ftl (un test le vérifie).

nav-skip = Aller au contenu
nav-label = Menu principal
nav-dashboard = Mes pétitions
nav-new-petition = Nouvelle pétition
nav-logout = Se déconnecter
nav-login = Espace organisateurs
lang-name = Français
# Le séparateur des milliers (« 1 000 ») : une espace fine insécable.
number-group-separator = {"\u202F"}
footer-free-software = Signons est un logiciel libre (AGPL-3.0 ou ultérieure) : vos données personnelles restent sur cette instance.

welcome-title = Bienvenue sur { $instance }
welcome-intro = Cette instance est prête. Elle n'a pas encore d'organisateur ; voici comment commencer.
welcome-step-organizer = Créez le premier organisateur sur le serveur (le mot de passe est demandé deux fois, ou lu sur la première ligne de l'entrée standard) :
welcome-step-organizer-source = Depuis une copie du code source, comme avec make run :
welcome-step-login = Connectez-vous avec cette adresse et ce mot de passe sur
welcome-step-petition = Rédigez votre première pétition, prévisualisez-la et publiez-la.

home-title = Pétitions
home-empty = Aucune pétition ouverte pour l'instant. Revenez bientôt !
home-most-signed = Les plus signées
home-newest = Les plus récentes

signature-count = { $count ->
    [one] { $count } signature
   *[other] { $count } signatures
}
petition-to = À : { $target }
petition-by = Par { $organization }
petition-goal = pour un objectif de { $goal }
petition-by-instance = Signée sur :
petition-partners = Portée avec :
petition-progress = { $percent } % de l'objectif
petition-ends = Se termine le { $date }
petition-draft-banner = Brouillon : seule votre organisation voit cette pétition jusqu'à sa publication.
petition-closed-banner = Cette pétition est close et n'accepte plus de signatures.
petition-recent-signers = Derniers signataires
action-edit = Modifier
action-publish = Publier
action-close = Clore la pétition
action-remove = Retirer…
action-remove-confirm = Retirer la pétition et ses signatures
remove-warning = Toutes les signatures sont supprimées, avec les données des signataires ; l’adresse de la pétition indiquera qu’elle a été retirée, et les instances qui la suivent en sont averties. C’est définitif.

sign-title = Signer cette pétition
sign-closed = Les signatures sont closes
sign-not-yet = Les signatures ouvriront quand la pétition sera publiée
sign-name = Votre nom
sign-email = Votre adresse e-mail
sign-country = Pays
sign-postal-code = Code postal
sign-comment = Pourquoi signez-vous ?
form-optional = (facultatif)
sign-public = Afficher mon nom publiquement sur cette pétition
sign-opt-in = Recevoir les nouvelles de { $organization } (vous pourrez arrêter à tout moment)
sign-button = Signer
sign-privacy = Votre adresse ne sert qu'à confirmer votre signature et n'est jamais affichée. Elle reste sur { $instance }. { $organization } voit votre nom, et votre adresse seulement si vous demandez ses nouvelles. Vous pouvez retirer votre signature à tout moment avec le lien reçu par e-mail.
sign-fix-errors = Merci de corriger les champs signalés ci-dessous.

thanks-title = Consultez vos e-mails
thanks-body = Nous vous avons envoyé un e-mail. Cliquez sur le lien qu'il contient pour confirmer votre signature de « { $title } » : elle ne compte qu'une fois confirmée.
thanks-spam = Rien après quelques minutes ? Regardez dans vos indésirables.
back-to-petition = Retour à la pétition
back-home = Retour à l'accueil

confirm-title = Confirmez votre signature
confirm-body = { $name }, merci de confirmer que vous signez « { $title } ».
confirm-button = Confirmer ma signature
confirm-details = Ce que vous confirmez
confirm-comment = Votre commentaire
confirm-visibility = Signature publique
confirm-public-yes = Oui : votre nom est affiché sur la pétition
confirm-public-no = Non : votre nom n'est pas affiché
confirm-news = Nouvelles de l'organisation
confirm-opt-in-yes = Oui, envoyez-moi ses nouvelles
confirm-opt-in-no = Pas de nouvelles
confirm-change = Quelque chose ne va pas ? Signez à nouveau avec le formulaire de la pétition : vos nouvelles informations remplacent celles-ci, et un nouveau lien vous est envoyé.
already-confirmed-title = Votre signature est déjà confirmée
already-confirmed-body = Ce lien a déjà servi : votre signature de « { $title } » compte. Il n'y a plus rien à faire.

confirmed-title = Merci, votre signature compte !
confirmed-body = Vous avez signé « { $title } ».
confirmed-share = Une pétition grandit quand on la partage : envoyez ce lien à vos proches.
confirmed-share-label = Lien vers la pétition

withdraw-title = Retirer votre signature
withdraw-body = { $name }, voulez-vous retirer votre signature de « { $title } » ? Votre nom et votre adresse seront effacés.
withdraw-button = Retirer ma signature
withdrawn-title = Votre signature a été retirée
withdrawn-body = Votre signature de « { $title } » et vos données personnelles ont été effacées.

login-title = Espace organisateurs
login-email = Adresse e-mail
login-password = Mot de passe
login-button = Se connecter
login-help = Les comptes sont créés par les administrateurs de l'instance.

dashboard-title = Pétitions de { $organization }
dashboard-empty = Vous n'avez pas encore de pétition.
dashboard-col-title = Pétition
dashboard-col-status = État
dashboard-col-signatures = Signatures / objectif
status-draft = Brouillon
status-open = Ouverte
status-closed = Close

editor-new-title = Nouvelle pétition
editor-edit-title = Modifier le brouillon
editor-title = Titre
editor-target = Adressée à
editor-target-hint = La personne ou l'instance qui peut prendre la décision, par exemple « Le conseil municipal de Lyon ».
editor-description = Texte
editor-description-hint = Expliquez ce que vous demandez et pourquoi. Markdown : **gras**, *italique*, [lien](https://…), listes avec « - ».
editor-goal = Objectif de signatures
editor-end-date = Date de fin
editor-fields = Demander aussi aux signataires
editor-preview = Aperçu
editor-save-draft = Enregistrer le brouillon

email-news-intro = { $organization } donne des nouvelles de « { $title } », que vous avez signée :
email-news-why = Vous recevez cet e-mail parce que vous avez demandé les nouvelles de { $organization } en signant.
email-news-subject = Nouvelles : { $title }
email-news-unsubscribe = Pour ne plus recevoir les nouvelles de cette pétition :
email-news-unsubscribe-link = Ne plus recevoir les nouvelles de cette pétition
unsubscribe-title = Ne plus recevoir de nouvelles
unsubscribe-body = Voulez-vous ne plus recevoir les nouvelles de { $organization } à propos de « { $title } » ?
unsubscribe-button = Ne plus recevoir de nouvelles
unsubscribe-scope = Cela ne concerne que cette pétition : votre signature reste, et les nouvelles des autres pétitions que vous avez signées continuent.
unsubscribed-title = Vous ne recevrez plus de nouvelles
unsubscribed-body = Vous ne recevrez plus les nouvelles de { $organization } à propos de « { $title } ».
unsubscribed-already = Vous ne recevez déjà plus de nouvelles à propos de « { $title } ».
email-hello = Bonjour { $name },
email-confirm-signature-subject = Confirmez votre signature : { $title }
email-confirm-intro = Merci d'avoir signé « { $title } ». Votre signature compte dès que vous la confirmez avec ce lien :
email-confirm-expiry = Le lien est valable { $hours } heures.
email-confirm-ignore = Si vous n'avez pas signé cette pétition, ignorez cet e-mail : rien ne sera compté et votre adresse sera effacée.
email-withdraw-intro = Pour retirer votre signature à tout moment :
email-already-signed-subject = Vous avez déjà signé : { $title }
email-already-intro = Quelqu'un (sans doute vous) a de nouveau tenté de signer « { $title } » avec cette adresse. Votre signature était déjà enregistrée : rien ne change.
email-already-not-you = Si ce n'était pas vous, vous pouvez ignorer cet e-mail.

error-title = Erreur { $status }
error-required = Ce champ est obligatoire.
error-too-short = Au moins { $min } caractères.
error-too-long = Au plus { $max } caractères.
error-control-characters = Ce champ contient des caractères non autorisés.
error-email-invalid = Cette adresse e-mail n'est pas valide.
error-email-disposable = Les adresses de ce service d'e-mail jetable ne sont pas acceptées : utilisez une adresse que vous gardez.
error-slug-invalid = De 3 à 64 lettres minuscules, chiffres et tirets simples.
error-goal-invalid = Un nombre entier entre 1 et { $max }.
error-end-date-range = La date de fin doit être dans le futur, et dans moins de deux ans.
error-date-invalid = Utilisez le format AAAA-MM-JJ.
error-postal-code-invalid = Lettres, chiffres, espaces et tirets uniquement.
error-invalid-input = Certains champs ne sont pas valides.
error-bad-request = La requête n'a pas pu être comprise.
error-payload-too-large = La requête est trop volumineuse.
error-not-found = Cette page n'existe pas.
error-gone = Cette pétition a été retirée par ses organisateurs.
error-petition-closed = Cette pétition n'accepte plus de signatures.
error-invalid-token = Ce lien n'est pas valide, ou a déjà été utilisé.
error-expired-token = Ce lien a expiré. Signez de nouveau la pétition pour en recevoir un nouveau.
error-unauthorized = Merci de vous connecter d'abord.
error-bad-credentials = Adresse ou mot de passe incorrect.
error-forbidden = Vous n'avez pas le droit de faire cela.
error-csrf-failed = Le formulaire a expiré. Merci de l'envoyer à nouveau.
error-rate-limited = Trop de tentatives depuis votre connexion. Patientez un peu et réessayez.
error-login-throttled = Trop de tentatives échouées pour cette adresse. Patientez 15 minutes et réessayez, ou réinitialisez votre mot de passe.
error-invalid-state = Cette action n'est pas possible dans l'état actuel de la pétition.
error-unavailable = Le service est indisponible pour un instant. Merci de réessayer dans quelques secondes.
error-internal-error = Un problème est survenu de notre côté. Merci de réessayer plus tard.

# Fédération
petition-follow-handle = Suivez-la sur Mastodon ou Lemmy :
home-remote = Des instances que nous suivons
remote-banner = Cette pétition est hébergée par { $host }. Signez-la ici : votre signature y est comptée, et votre adresse e-mail reste ici.
remote-sign-at = La voir sur { $host }
counted-elsewhere-body = Vous avez déjà signé « { $title } » depuis une autre instance : votre signature compte une fois, rien ne change. Cette confirmation est supprimée.
remote-news = Nouvelles
remote-sign-privacy = Votre adresse e-mail reste sur { $instance }. { $host } ne reçoit que votre confirmation, un code qui empêche de signer deux fois, et ce que vous choisissez de rendre public.
remote-sign-opt-in = Recevoir les nouvelles de cette pétition (envoyées par { $instance }, qui garde votre adresse)
remote-thanks-elsewhere = Dès votre confirmation, { $instance } transmet votre signature à { $host }, où la pétition est comptée.
elsewhere-refused-title = Votre signature n’a pas été comptée
elsewhere-waiting = Votre signature a été transmise à { $host } : elle apparaîtra bientôt dans le décompte.
elsewhere-counted = { $host } a compté votre signature.
elsewhere-refused = { $host } n'a pas compté votre signature.
refused-already-signed = Cette adresse a déjà signé cette pétition, sur cette instance ou une autre.
refused-petition-closed = La pétition n'accepte plus de signatures.
refused-instance-refused = L'instance de la pétition n'accepte pas les signatures venant de cette instance.
email-signature-refused-subject = Votre signature n'a pas été comptée : { $title }
email-refused-intro = Vous avez confirmé votre signature de « { $title } », mais l'instance de la pétition ne l'a pas comptée :
email-refused-data = Votre adresse reste sur cette instance seulement ; elle n'a jamais été transmise à l'instance de la pétition.

# Administration : politique de fédération
admin-federation-link = Fédération
admin-federation-title = Fédération
admin-federation-intro = Les autres serveurs avec lesquels cette instance échange pétitions et nouvelles. Tout ce qui vient d'un domaine bloqué est refusé avant d'être traité.
admin-mode-title = Mode
admin-mode-current = Mode actuel :
admin-mode-legend = Fédérer avec
admin-mode-open = Ouvert
admin-mode-open-hint = tous les domaines sauf ceux qui sont bloqués
admin-mode-allowlist = Liste d'autorisation
admin-mode-allowlist-hint = seulement les domaines autorisés
admin-mode-button = Changer de mode
admin-rules-title = Règles par domaine
admin-rules-empty = Aucun domaine n'a encore de règle.
admin-policy-allow = autorisé
admin-policy-block = bloqué
admin-rule-remove = Supprimer la règle
admin-domain-hint = Un domaine comme example.org ; ses sous-domaines sont concernés aussi. Avec un port (localhost:8551), seulement ce port.
admin-block-label = Bloquer un domaine
admin-block-button = Bloquer
admin-allow-label = Autoriser un domaine
admin-allow-button = Autoriser
admin-following-title = Serveurs que cette instance suit
admin-follow-label = Suivre une instance, une organisation ou un identifiant
admin-follow-hint = L'adresse d'une instance (https://petitions.example.org), celle d'une organisation, ou un identifiant comme nom@example.org. Son domaine est alors autorisé.
admin-follow-button = Suivre
admin-following-empty = Cette instance ne suit encore personne.
admin-state-pending = en attente de réponse
admin-state-accepted = acceptée
admin-state-rejected = refusée
admin-unfollow-button = Ne plus suivre
admin-followers-title = Abonnés
admin-followers-empty = Personne ne suit encore cette instance.
admin-followers-count = { $count ->
    [one] 1 abonné
   *[other] { $count } abonnés
}
admin-deliveries-title = Envois
admin-deliveries-waiting = { $count ->
    [one] 1 envoi est en attente.
   *[other] { $count } envois sont en attente.
}
admin-done-mode = Le mode de fédération a été changé.
admin-done-block = Le domaine est bloqué ; ce qui attendait d'y être envoyé a été abandonné.
admin-done-allow = Le domaine est autorisé.
admin-done-forget = La règle a été supprimée.
admin-done-follow = La demande d'abonnement est partie ; elle apparaît comme acceptée dès que l'autre serveur répond.
admin-done-unfollow = Cette instance ne suit plus cet acteur.
admin-error-mode = Choisissez « ouvert » ou « liste d'autorisation ».
admin-error-action = Cette action est inconnue.
admin-error-domain = Ce n'est pas un domaine. Écrivez-le comme example.org, ou localhost:8551 avec un port.
admin-error-follow-invalid = Impossible de suivre ceci. Indiquez l'adresse d'une instance (https://…), celle d'une organisation ou un identifiant comme nom@example.org.
admin-error-follow-refused = Votre politique refuse { $domain } : il est bloqué, ou le mode est « liste d'autorisation » et il n'y figure pas. Changez d'abord sa règle.
admin-error-follow-unreachable = Impossible de suivre cette adresse : son serveur n'a pas répondu, ou pas comme un serveur ActivityPub. Vérifiez l'adresse, ou réessayez plus tard.
admin-error-not-following = Cette instance ne suit pas cet acteur.
admin-error-detail = Détail technique : { $detail }
organization-follow-handle = Suivez cette organisation sur Mastodon ou Lemmy :
organization-petitions = Pétitions
organization-empty = Aucune pétition publiée pour l’instant.
petition-news = Nouvelles
action-post-news = Publier une nouvelle…
action-post-news-confirm = Publier la nouvelle
news-label = Nouvelle pour les signataires et les abonnés de la pétition
news-hint = En Markdown. Affichée sur cette page et envoyée aux abonnés de la pétition sur Mastodon, Lemmy et les autres instances Signons.
admin-jobs-link = Tâches de fond
admin-jobs-title = Tâches de fond
admin-jobs-intro = Les courriels et les envois de fédération attendent ici d'être envoyés. Une tâche qui échoue encore après son délai de nouvelles tentatives (7 jours pour un courriel, le délai d'abandon de la fédération pour un envoi), ou qui ne peut jamais réussir, est gardée comme abandonnée jusqu'à ce que vous la relanciez.
admin-jobs-queues-title = Files d'attente
admin-jobs-queue = File
admin-jobs-queued = En attente
admin-jobs-running = En cours d'envoi
admin-jobs-dead = Abandonnées
admin-jobs-queue-email = Courriels
admin-jobs-queue-delivery = Envois de fédération
admin-jobs-dead-title = Tâches abandonnées
admin-jobs-dead-empty = Aucune tâche n'est abandonnée.
admin-jobs-to = vers { $target }
admin-jobs-attempts = { $count ->
    [one] 1 tentative
   *[other] { $count } tentatives
}
admin-jobs-queued-at = mise en file le { $at }
admin-jobs-no-error = aucune erreur enregistrée
admin-jobs-retry = Relancer
admin-jobs-retry-all = Relancer toutes les tâches abandonnées
admin-jobs-done-retry = Les tâches sont de nouveau en file ; elles partent dans les secondes qui viennent.
admin-jobs-error-unknown = Cette tâche abandonnée n'existe pas (elle a peut-être déjà été relancée).

# Invalidation en masse (/admin/invalidate, `signons admin invalidate`)
invalidate-link = Invalider des signatures
invalidate-title = Invalider des signatures
invalidate-intro = Retirer d'une pétition une masse de fausses signatures : selon le réseau d'où elles viennent, le domaine de leur adresse ou le moment où elles ont été faites. Vous voyez ce qui partirait avant que rien ne change. Les signatures invalidées ne comptent plus et ne s'affichent plus, leurs liens ne marchent plus, et leurs adresses ne peuvent plus signer cette pétition.
invalidate-filter-title = Quelles signatures
invalidate-petition = Pétition
invalidate-petition-hint = Son nom court, comme dans son adresse : /p/nom-court. Pour une pétition d’une autre instance signée ici, son identifiant : nom-court@instance (son compteur là-bas baisse dès que cette instance reçoit le retrait).
invalidate-network = Réseau
invalidate-network-hint = Une plage comme 203.0.113.0/24 ou 2001:db8:1::/48. Seul le /24 (IPv4) ou le /48 (IPv6) de chaque signataire est gardé, sous forme d'empreinte à clé : une plage peut être plus large (jusqu'à /12 ou /36), jamais plus étroite.
invalidate-domain = Domaine de l'adresse
invalidate-domain-hint = Ce qui suit le @, par exemple example.org (ses sous-domaines ne sont pas inclus).
invalidate-window-hint = Signées entre ces deux moments, en UTC (le premier inclus, le second non).
invalidate-from = Depuis
invalidate-until = Jusqu'à
invalidate-preview = Voir ce qui partirait
invalidate-preview-title = Ce qui partirait de « { $title } »
invalidate-preview-counts = { $confirmed ->
    [one] 1 signature confirmée
   *[other] { $confirmed } signatures confirmées
} (le compte baisse d'autant) et { $pending ->
    [one] 1 signature pas encore confirmée
   *[other] { $pending } signatures pas encore confirmées
}.
invalidate-preview-none = Aucune signature ne correspond : rien ne changerait.
invalidate-examples = Les plus récentes
invalidate-erased = (données personnelles déjà effacées)
invalidate-signed-at = signée le { $at }
invalidate-confirmed-at = confirmée le { $at }
invalidate-pending = pas confirmée
invalidate-confirm = { $count ->
    [one] Invalider cette signature
   *[other] Invalider ces { $count } signatures
}
invalidate-done-title = Signatures invalidées
invalidate-done = « { $title } » : { $confirmed ->
    [one] 1 signature confirmée
   *[other] { $confirmed } signatures confirmées
} et { $pending ->
    [one] 1 non confirmée
   *[other] { $pending } non confirmées
} invalidées. Le compte est corrigé.
invalidate-again = En invalider d'autres
invalidate-earlier = Invalidations précédentes de cette pétition
invalidate-earlier-item = { $at }, par { $name } : { $confirmed } confirmées et { $pending } non confirmées, filtre
invalidate-error-no-filter = Donnez au moins un réseau, un domaine ou un moment.
invalidate-error-petition = Aucune pétition de ce nom court ici.
invalidate-error-network = Écrivez un réseau sous la forme adresse, barre oblique, longueur de préfixe, par exemple 203.0.113.0/24.
invalidate-error-network-narrow = Seuls des réseaux entiers sont gardés : donnez un /{ $max } ou une plage plus large (un nombre plus petit après la barre).
invalidate-error-network-wide = Cette plage couvre trop de réseaux : donnez un /{ $min } ou une plage plus étroite.
invalidate-error-domain = Écrivez un domaine comme example.org.
invalidate-error-time = Écrivez un moment comme 2026-12-01T09:30:00Z.
invalidate-error-window = La fin doit venir après le début.

# La liste des pétitions (GET /petitions)
nav-petitions = Pétitions
list-title = Pétitions
list-intro = Les pétitions de cette instance et des instances qu’elle suit. Celles d’une autre instance portent son adresse : vous les signez ici, elles sont comptées là-bas.
list-search-label = Rechercher dans les titres et les textes
list-search-button = Rechercher
list-count = { $count ->
    [one] 1 pétition
   *[other] { $count } pétitions
}
list-count-search = { $count ->
    [one] 1 pétition correspond à « { $query } »
   *[other] { $count } pétitions correspondent à « { $query } »
}
list-empty = Aucune pétition n’est encore publiée.
list-no-match = Aucune pétition ne correspond à « { $query } ».
list-past-end = Il y a moins de pages que cela.
list-first-page = Revenir à la première page
list-from-host = sur { $host }
list-pages-label = Pages
list-previous = Page précédente
list-next = Page suivante
list-page = Page { $page } sur { $pages }
list-error-search-too-long = La recherche est trop longue : { $max } caractères au plus.
list-error-search-characters = La recherche contient des caractères qui ne sont pas acceptés.
list-error-page = Ce n’est pas un numéro de page : indiquez un nombre entier de 1 à { $max }.
list-error-query = Cette adresse n’a pas pu être lue. Tapez à nouveau votre recherche.
home-all-petitions = Toutes les pétitions, et la recherche

## Comptes : mot de passe, jetons d'API, mot de passe oublié
account-link = Compte et jetons d'API
account-title = Votre compte
account-password-title = Changer votre mot de passe
account-current-password = Mot de passe actuel
account-new-password = Nouveau mot de passe
account-new-password-again = Nouveau mot de passe, à nouveau
account-password-hint = Au moins 10 caractères. Vos autres sessions seront déconnectées et vos jetons d’API révoqués ; celle-ci reste ouverte.
account-password-button = Changer le mot de passe
account-password-changed = Votre mot de passe a été changé. Vos autres sessions ont été déconnectées et vos jetons d’API révoqués.
account-tokens-title = Jetons d'API
account-tokens-intro = Les scripts et les outils envoient ces jetons à l'API JSON (Authorization: Bearer …). Un jeton n'est montré qu'une fois, à sa création ; révoquez celui qui a pu fuiter.
account-tokens-empty = Vous n'avez aucun jeton d'API.
account-token-col-name = Nom
account-token-col-id = Identifiant
account-token-col-created = Créé le
account-token-col-last-used = Dernière utilisation
account-token-col-expires = Expire le
account-token-col-actions = Actions
account-token-unnamed = (sans nom)
account-token-never-used = jamais
account-token-no-expiry = Sans expiration
account-token-expired = Expiré le { $date }
account-token-revoke = Révoquer
account-token-revoked = Le jeton a été révoqué : il ne fonctionne plus.
account-token-create = Créer un jeton
account-token-name = Nom (ce qui va l'utiliser)
account-token-lifetime = Valable pendant
account-token-days = { $days } jours
account-token-created = Votre nouveau jeton : copiez-le maintenant, il ne sera plus montré.
login-forgot = Mot de passe oublié ?
forgot-title = Mot de passe oublié
forgot-intro = Saisissez l'adresse e-mail de votre compte d'organisateur : nous y enverrons un lien pour choisir un nouveau mot de passe.
forgot-button = Envoyer le lien
forgot-sent = Si un compte d'organisateur utilise cette adresse, nous lui avons envoyé un lien pour choisir un nouveau mot de passe. Le lien sert une fois, pendant { $minutes } minutes.
reset-title = Choisir un nouveau mot de passe
reset-hint = Au moins 10 caractères. Toutes les sessions de votre compte seront déconnectées.
reset-submit = Enregistrer le nouveau mot de passe
reset-button = Choisir un nouveau mot de passe
reset-done = Votre mot de passe a été changé, et toutes les sessions de votre compte ont été déconnectées. Vous pouvez vous connecter avec le nouveau mot de passe.
reset-invalid = Ce lien n'est pas valide, ou a déjà été utilisé.
reset-expired = Ce lien a expiré.
reset-ask-again = Demander un nouveau lien
error-password-mismatch = Les deux mots de passe diffèrent.
error-wrong-password = Ce n'est pas votre mot de passe actuel.
error-token-lifetime = Un nombre entier de jours, de 1 à { $max }.
error-token-expired = Ce jeton d'API a expiré ; créez-en un nouveau.
email-password-reset-subject = Réinitialiser votre mot de passe sur { $title }
email-reset-intro = Quelqu'un (sans doute vous) a demandé à réinitialiser le mot de passe de votre compte d'organisateur sur { $instance }. Pour choisir un nouveau mot de passe, ouvrez ce lien :
email-reset-expiry = Le lien sert une fois, pendant { $minutes } minutes.
email-reset-ignore = Si vous n'avez rien demandé, ignorez cet e-mail : votre mot de passe reste le même.

# Bots on the sign forms: the honeypot and the proof of work
sign-honeypot = Laissez ce champ vide (il sert à piéger les robots)
sign-pow-noscript = Pour distinguer les personnes des robots, ce formulaire fait résoudre un petit calcul à votre navigateur, sans aucun service tiers. Activez JavaScript pour signer.
sign-pow-working = Vérification que vous n'êtes pas un robot, un instant…
error-proof-of-work-required = Ce formulaire a besoin de JavaScript, qui vérifie qu'une personne signe. Activez JavaScript et envoyez le formulaire à nouveau.
error-proof-of-work-invalid = La vérification anti-robot a expiré ou échoué. Envoyez le formulaire à nouveau.

# L'export des signatures par les organisateurs
export-csv-link = Télécharger les signatures (CSV)
export-print-link = Liste à imprimer
print-title = Signatures de « { $title } »
print-back = Retour à la pétition
print-hint = Imprimez cette page (Ctrl+P ou ⌘+P) pour la remettre. Elle contient les noms que les signataires ont rendus publics et leur lieu, jamais d'adresse e-mail.
print-total = { $count ->
    [one] { $count } signature
   *[other] { $count } signatures
}
print-date = au { $date }
print-col-name = Nom
print-col-country = Pays
print-col-postal-code = Code postal
print-anonymous = Anonyme

# Premiers pas et vie d'une pétition (ticket 11)
dashboard-empty-title = Lancez votre première pétition
dashboard-empty-steps = Dites ce que vous demandez, à qui, et combien de signatures il vous faut. Gardez-la en brouillon jusqu'à ce qu'elle soit prête, puis publiez-la et partagez son adresse.
dashboard-empty-action = Créer votre première pétition
status-won = Gagnée
editor-edit-published-title = Modifier la pétition
editor-edit-published-hint = La pétition garde son adresse. Sa page indiquera quand elle a été mise à jour, et les instances qui la suivent en sont informées. Ce qui est demandé aux signataires ne peut plus changer une fois la pétition publiée.
editor-save-changes = Enregistrer les modifications
petition-updated = Mise à jour le { $date }
petition-won-title = Victoire !
sign-won = Cette pétition a gagné : les signatures sont closes
action-reopen = Rouvrir la pétition
action-win = Déclarer la victoire…
reopen-end-date-passed = Sa date de fin est passée : changez la date de fin pour la rouvrir.
close-confirm-title = Clore cette pétition ?
close-confirm-text = Elle ne recevra plus de signatures ; vous pourrez la rouvrir.
close-confirm-button = Oui, clore la pétition
action-cancel = Annuler
win-title = Déclarer « { $title } » gagnée
win-hint = Dites aux signataires ce qui a été obtenu. Markdown : **gras**, *italique*, [lien](https://…). Le message s'affiche en haut de la pétition, et les signatures s'arrêtent.
win-message = Message de victoire
win-button = Déclarer la victoire

## Partage (partials/share.html, /share) et l'encadré pour suivre
share-title = Partager cette pétition
share-email = E-mail
share-fediverse-label = Partager sur votre serveur Mastodon ou d'un autre réseau du fédivers
share-fediverse-hint = L'adresse de votre serveur, comme mastodon.social : vous y écrirez le message.
share-fediverse-button = Partager
share-link-label = Lien vers la pétition
share-copy = Copier le lien
share-copied = Lien copié.
share-bad-instance = « { $host } » n'est pas l'adresse d'un serveur. Écrivez-la comme mastodon.social, sans @ ni https://.
share-bad-url = Seules les pétitions de cette instance se partagent d'ici.
share-sign-first = Signer
follow-title = Suivre cette pétition
follow-explain = Sur Mastodon, Lemmy ou un autre serveur du fédivers, cherchez cette adresse et suivez-la : ses nouvelles et son compteur arriveront dans votre fil. Pas besoin de signer pour cela.
petition-summary-fallback = Une pétition adressée à { $target }.
share-continue = Continuer vers { $host }
share-continue-hint = Votre serveur s'ouvre avec le message écrit : relisez-le et publiez-le là-bas.

## La page d'analyse (/p/{slug}/insight)
insight-heading = Analyse : { $title }
insight-link = Analyse
insight-empty = Aucune signature confirmée pour l'instant : les graphiques apparaîtront avec la première.
insight-over-time = Signatures au fil du temps
insight-chart-summary = { $count } signatures confirmées entre le { $date } et le { $at }.
insight-chart-legend = La ligne montre le total ; chaque barre, les signatures confirmées ce jour-là (les jours sans signature sont omis).
insight-by-day = Jour par jour
insight-day = Jour
insight-signatures = Signatures
insight-cumulative = Total
insight-origins = Où les signatures ont été recueillies
insight-origins-hint = Les signatures recueillies par d'autres instances sont comptées ici ; les données personnelles de leurs signataires restent là-bas.
insight-here = cette instance
insight-arrivals = Comment les signataires sont arrivés
insight-arrivals-hint = D'après la page d'où le formulaire a été envoyé, sans cookie : la page de la pétition, un lien de ses boutons de partage, le widget intégré à un autre site, ou une autre instance.
insight-arrival-direct = La page de la pétition
insight-arrival-shared-link = Un lien partagé
insight-arrival-embed = Le widget intégré
insight-arrival-other-instance = Une autre instance
insight-opt-in = Ont demandé vos nouvelles
insight-opt-in-detail = { $count } des { $confirmed } personnes qui ont signé ici.
insight-countries = Par pays
insight-postal = Par code postal (deux premiers caractères)
insight-where = Où
insight-other = Autres
insight-not-given = Non indiqué
## Modération : signalements, file de l'administration, pétitions masquées
status-hidden = Masquée par la modération
error-hidden = Cette pétition a été masquée par la modération de cette instance : { $reason }
dashboard-hidden-reason = Motif : { $reason }
report-link = Signaler cette pétition
report-title = Signaler cette pétition
report-intro = Dites à la modération de cette instance ce qui ne va pas dans « { $title } ».
report-reason = Motif
report-reason-spam = Spam
report-reason-hateful = Contenu haineux
report-reason-misleading = Trompeuse
report-reason-personal_data = Données personnelles publiées
report-reason-other = Autre
report-reason-edited = Modifiée depuis son approbation (à relire)
report-details = Précisions (facultatif)
report-privacy = Votre signalement est anonyme : ni votre adresse e-mail ni votre adresse IP ne sont enregistrées avec lui.
report-send = Envoyer le signalement
report-fix-errors = Choisissez un motif, et gardez les précisions brèves.
report-thanks = Merci : la modération de cette instance examinera votre signalement.
moderation-link = Modération
moderation-title = Modération
moderation-intro = Les signalements des visiteurs, regroupés par pétition, les plus récents d'abord. Classez-les, ou masquez la pétition avec un motif que ses visiteurs liront.
moderation-reports-title = Signalements ouverts
moderation-empty = Aucun signalement ouvert.
moderation-count = { $count ->
    [one] 1 signalement
   *[other] { $count } signalements
}
moderation-dismiss = Classer les signalements
moderation-hide-reason = Motif affiché aux visiteurs
moderation-hide = Masquer la pétition
moderation-hidden-title = Pétitions masquées
moderation-hidden-empty = Aucune pétition masquée.
moderation-unhide = Rendre visible
moderation-done-dismiss = Les signalements ont été classés.
moderation-done-hide = La pétition est masquée.
moderation-done-unhide = La pétition est de nouveau visible.
moderation-error-reason = Donnez un motif (3 à 500 caractères) pour masquer une pétition.

## La réponse du décideur
action-response = Publier la réponse
response-form-title = La réponse à « { $title } »
response-form-intro = Quand { $target } répond, publiez sa réponse ici : elle s’affiche en haut de la pétition, part vers ses abonnés et est envoyée par e-mail aux signataires qui ont demandé des nouvelles. Une nouvelle réponse remplace la précédente.
response-responder = Qui a répondu
response-responder-hint = Par exemple : le maire de Lyon.
response-text = Sa réponse
response-text-hint = Citez-la ou résumez-la fidèlement, avec un lien vers l’original s’il existe. Markdown : **gras**, *italique*, [lien](https://…).
response-button = Publier la réponse
response-title = La réponse de { $name }
response-posted = Publiée le { $date }

## Réglages de l’instance, page de confidentialité et relecture avant publication (issue 11)
settings-link = Réglages
settings-title = Réglages de l’instance
settings-name = Nom de l’instance
settings-description = Description (affichée sur la page de confidentialité)
settings-contact = Adresse de contact pour les signataires et les organisateurs (facultative)
settings-signup = Comment les organisateurs rejoignent l’instance
settings-signup-open = Chacun peut créer une organisation sur cette instance
settings-signup-invitation = Sur invitation seulement : le propriétaire d’une organisation invite ses membres
settings-premoderation = Relecture avant publication
settings-premoderation-off = Les pétitions sont publiées dès que leurs organisateurs les publient
settings-premoderation-on = Un administrateur approuve chaque pétition avant sa publication
settings-retention = Jours après la fin d’une pétition avant l’anonymisation des noms et adresses de ses signataires
settings-retention-hint = Le décompte reste ; les noms et adresses électroniques sont effacés. Les organisateurs exportent leur liste avant.
settings-save = Enregistrer les réglages
settings-saved = Les réglages sont enregistrés.
error-choice-invalid = Choisissez l’une des options.
error-days-invalid = Un nombre entier de jours, de 1 à { $max }.
privacy-link = Confidentialité
privacy-title = Confidentialité
privacy-intro = Ce que { $instance } garde des personnes qui signent ses pétitions, combien de temps, et qui le voit.
privacy-kept-title = Ce qui est gardé
privacy-kept = Vos nom et adresse électronique, le pays et le code postal quand une pétition les demande, votre commentaire, et si vous avez demandé des nouvelles. Votre nom et votre commentaire ne sont publics que si vous cochez la case prévue. Votre adresse n’est jamais affichée, et seuls les organisateurs de la pétition peuvent télécharger la liste des signataires.
privacy-how-long-title = Combien de temps
privacy-unconfirmed = Une signature non confirmée dans les { $hours } heures ne compte plus, et elle est effacée après { $days } jours.
privacy-anonymized = { $days } jours après la fin d’une pétition, les noms et adresses de ses signataires sont effacés ; le décompte reste.
privacy-max-age = Dans tous les cas, aucune donnée personnelle de signataire n’est gardée plus de { $days } jours.
privacy-shared-title = Avec qui elles sont partagées
privacy-shared = Personne d’autre : ni publicité, ni traceur, ni service tiers. Les pages ne chargent rien depuis d’autres sites.
privacy-federation = Quand vous signez ici la pétition d’une autre instance, vos nom et adresse restent ici : cette instance ne reçoit qu’une attestation signée qu’une personne de plus a signé (avec votre nom seulement si vous l’avez rendu public).
privacy-cookies-title = Cookies
privacy-cookies = Seulement ceux dont le site a besoin : l’un contre les formulaires falsifiés, et un cookie de session pour les organisateurs connectés.
privacy-rights-title = Vos droits
privacy-rights = Chaque courriel que nous vous envoyons contient un lien pour retirer votre signature, ce qui l’efface, et un lien pour ne plus recevoir de nouvelles.
privacy-contact = Pour toute question sur vos données, écrivez à { $email }.
moderation-review-title = En attente de relecture
moderation-review-empty = Aucune pétition n’attend de relecture.
moderation-review-by = Proposée par { $organization }
moderation-approve = Approuver et publier
moderation-send-back-note = Ce qu’il faut changer (montré à ses organisateurs)
moderation-send-back = Renvoyer à ses organisateurs
moderation-done-approve = La pétition est publiée.
moderation-done-send-back = La pétition a été renvoyée à ses organisateurs comme brouillon.
moderation-error-note = Dites ce qu’il faut changer (3 à 500 caractères) pour renvoyer une pétition.
petition-review-banner = En attente de relecture : un administrateur de cette instance approuve chaque pétition avant sa publication.
petition-sent-back = Les modérateurs ont renvoyé cette pétition. Modifiez-la, puis publiez-la à nouveau :
status-review = En attente de relecture
milestones-title = Messages des paliers : { $title }
milestones-intro = Écrivez dès maintenant ce que vous voulez dire quand la pétition franchit un palier : ce sera ajouté à la note du palier, sur la page de la pétition et pour ceux qui la suivent.
milestones-at = { $count ->
    [one] À { $count } signature
   *[other] À { $count } signatures
}
milestones-hint = Le Markdown est accepté. Une case vide n’a pas de message. Un palier déjà franchi garde la note qu’il avait.
milestones-button = Enregistrer les messages
milestones-saved = Les messages des paliers sont enregistrés.
action-milestones = Messages des paliers
error-milestone-invalid = Ce n’est pas l’un des paliers de la pétition.
## Social proof (issue 12): relative times, dates, comments, the goal's steps
time-just-now = à l’instant
time-minutes-ago = { $minutes ->
    [one] il y a { $minutes } minute
   *[other] il y a { $minutes } minutes
}
time-hours-ago = { $hours ->
    [one] il y a { $hours } heure
   *[other] il y a { $hours } heures
}
time-yesterday = hier
date-long = { $day ->
    [1] 1er
   *[other] { $day }
} { $month } { $year }
date-month-1 = janvier
date-month-2 = février
date-month-3 = mars
date-month-4 = avril
date-month-5 = mai
date-month-6 = juin
date-month-7 = juillet
date-month-8 = août
date-month-9 = septembre
date-month-10 = octobre
date-month-11 = novembre
date-month-12 = décembre
comment-hide = Masquer ce commentaire
comment-unhide = Afficher de nouveau ce commentaire
comments-link = Commentaires
comments-title = Commentaires sur « { $title } »
comments-intro = Les commentaires que les signataires ont choisi de rendre publics, du plus récent au plus ancien. Un commentaire masqué quitte aussitôt la page de la pétition et l’API ; il reste dans l’export, marqué masqué, et peut être affiché de nouveau.
comments-none = Aucun signataire n’a encore laissé de commentaire public.
comments-none-here = Il n’y a pas d’autres commentaires.
comments-hidden = Masqué
comments-pages = Pages de commentaires
comments-newer = Commentaires plus récents
comments-older = Commentaires plus anciens
comments-back = Retour à la pétition
editor-goal-fixed = Garder cet objectif une fois atteint
editor-goal-fixed-hint = Sinon, une fois l’objectif atteint, la page affiche le suivant (100, 200, 500, 1 000…), pour que la pétition continue de grandir.
## Une image par pétition (ticket 12)
picture-title = Image
picture-file = Une image (PNG, JPEG ou WebP, 10 Mo au plus)
picture-file-hint = Elle s’affiche sur la pétition, dans les listes et quand le lien est partagé. Ses métadonnées (lieu, appareil) sont retirées.
picture-alt = Description de l’image
picture-alt-hint = Pour qui ne peut pas la voir : ce qu’elle montre, en une phrase ({ $max } caractères au plus).
picture-upload = Envoyer l’image
picture-remove = Retirer l’image
picture-error-missing = Choisissez une image à envoyer.
picture-error-too-large = Ce fichier dépasse 10 Mo : choisissez une image plus légère.
picture-error-not-image = Ce fichier n’est pas une image : choisissez un fichier PNG, JPEG ou WebP.
picture-error-too-many-pixels = Cette image a trop de pixels (plus de 40 millions) : choisissez-en une plus petite.
picture-error-corrupt = Cette image est abîmée et ne peut pas être lue : essayez un autre fichier.
picture-error-alt = Décrivez l’image en une phrase.
picture-error-alt-too-long = La description est trop longue : 200 caractères au plus.
## Le logo d’une organisation (ticket 11)
logo-title = Logo
logo-file = Une image (PNG, JPEG ou WebP, 10 Mo au plus)
logo-file-hint = Il s’affiche sur la page de l’organisation, à côté de son nom sur ses pétitions, et sur le fédivers. Ses métadonnées (lieu, appareil) sont retirées.
logo-upload = Envoyer le logo
logo-remove = Retirer le logo
## Trouver des pétitions, flux, intégration, oEmbed
list-filter-organization = Organisation
list-filter-any-organization = Toutes les organisations
list-filter-status = État
list-filter-any-status = Tous les états
list-status-open = Ouverte
list-sort = Trier par
list-sort-newest = Les plus récentes
list-sort-most-signed = Les plus signées
list-sort-trending = En progression (les plus signées cette semaine)
list-filter-apply = Appliquer
list-no-match-filters = Aucune pétition ne correspond à ces filtres.
list-error-sort = Ce n’est pas un ordre de tri : choisissez les plus récentes, les plus signées ou en progression.
list-error-status = Ce n’est pas un état : choisissez ouverte, gagnée ou close.
list-error-organization = Ce n’est pas le nom d’une organisation.
home-intro = { $instance } accueille des pétitions : signez celles que vous soutenez (on ne vous demande que ce dont la pétition a besoin, et votre adresse pour confirmer), partagez-les ou suivez-les depuis le fédivers.
home-trending = En progression cette semaine
home-won = Gagnées récemment
feed-petitions-title = Nouvelles pétitions sur { $instance }
feed-news-title = Nouvelles de « { $title } »
feed-news-entry-title = Nouvelles de « { $title } », { $date }
embed-snippet-label = Mettez cette pétition sur votre site : copiez ce code dans une page
embed-snippet-hint = Il montre le nombre de signatures, la progression et le formulaire ; signer ouvre ce site dans un nouvel onglet.
embed-read-more = Toute la pétition sur { $instance }
## Organisations : membres, rôles, invitations, inscription (issue 11)
role-owner = Propriétaire
role-editor = Éditeur
members-link = Membres
members-title = Membres de { $organization }
members-col-email = Adresse e-mail
members-col-role = Rôle
members-col-actions = Modifier
members-change-role = Changer le rôle
members-remove = Retirer
members-remove-confirm = Retirer { $email } de l'organisation
members-invite-title = Inviter quelqu'un
members-invite-email = Son adresse e-mail
members-invite-hint = Les propriétaires gèrent l'organisation et ses membres ; les éditeurs mènent ses pétitions. Le lien d'invitation sert pendant 7 jours.
members-invite-submit = Envoyer l'invitation
members-invitation-sent = L'invitation a été envoyée.
members-role-changed = Le rôle a été changé.
members-removed = Le membre a été retiré.
members-last-owner = Une organisation garde au moins un propriétaire : faites d'abord de quelqu'un d'autre un propriétaire.
members-read-only = Seuls les propriétaires de l'organisation invitent des membres et changent les rôles.
organization-edit-link = Modifier l'organisation
organization-edit-title = L'organisation
organization-edit-name = Nom
organization-edit-description = Description
organization-edit-website = Site web
organization-edit-submit = Enregistrer
organization-website = Site web
organization-marker-open = Ouverte
organization-marker-won = Gagnée
organization-marker-closed = Close
editor-organization = Organisation
invitation-title = Invitation
invitation-intro = Vous êtes invité à rejoindre { $organization } avec l'adresse { $email }.
invitation-role-owner = En tant que propriétaire, vous gérerez l'organisation, ses membres et ses pétitions.
invitation-role-editor = En tant qu'éditeur, vous mènerez ses pétitions.
invitation-existing-hint = Cette adresse a un compte : donnez son mot de passe pour rejoindre l'organisation.
invitation-new-hint = Choisissez un mot de passe pour votre compte (au moins { $min } caractères).
invitation-join = Rejoindre
invitation-create = Créer mon compte et rejoindre
invitation-invalid = Ce lien d'invitation n'est pas valable, ou a déjà servi.
invitation-expired = Cette invitation a expiré : demandez-en une nouvelle à l'organisation.
invitation-open-button = Accepter l'invitation
email-invitation-subject = Rejoindre { $title }
email-invitation-intro = Vous êtes invité à rejoindre { $organization } sur { $instance }, pour mener ses pétitions. Pour accepter, ouvrez ce lien :
email-invitation-expiry = Le lien sert une fois, pendant { $days } jours.
email-invitation-ignore = Si vous ne vous y attendiez pas, ignorez cet e-mail.
signup-title = Créer une organisation
signup-organization = Le nom de votre organisation
signup-submit = Créer l'organisation
signup-by-invitation = Sur cette instance, les comptes se font sur invitation seulement : demandez à une organisation qui y mène des pétitions de vous inviter.
error-already-member = Cette adresse est déjà membre.
error-role-invalid = Choisissez propriétaire ou éditeur.
error-account-exists = Cette adresse a déjà un compte : connectez-vous plutôt.
error-url-invalid = Donnez une adresse qui commence par https:// ou http://.
error-organization-unknown = Aucune organisation ne porte ce nom.
map-shape-title = { $name } : { $count ->
    [one] { $count } signature
   *[other] { $count } signatures
}
map-section = D’où viennent les signatures
map-countries = Signatures par pays
map-departements = Signatures par département (codes postaux français)
map-summary = { $count ->
    [one] { $count } signature
   *[other] { $count } signatures
} en { $places ->
    [one] { $places } lieu
   *[other] { $places } lieux
} ; le tableau ci-dessous donne chaque chiffre.
map-legend = Signatures par lieu
map-legend-none = aucune
map-table = Les chiffres
map-small-cells = Les zones postales de moins de { $min } signatures sont comptées dans « Autre », pour qu’aucun signataire ne soit repérable par son lieu.
map-credit = Carte : svg-maps de Victor Cazanave, CC BY 4.0 (simplifiée).

members-pending-title = Invitations pas encore acceptées
members-pending-empty = Aucune invitation n’attend.
members-col-sent = Envoyée le
members-cancel-invitation = Annuler l’invitation
members-invitation-cancelled = L’invitation a été annulée : son lien ne fonctionne plus.
invitation-cancelled = Cette invitation a été annulée par l’organisation : demandez-lui-en une nouvelle si vous devez la rejoindre.
error-invitation-cancelled = Cette invitation a été annulée par l’organisation.
error-account-disabled = Ce compte a été désactivé par les administrateurs de l’instance. Écrivez-leur si vous pensez qu’il s’agit d’une erreur.
admin-people-link = Personnes
admin-people-title = Personnes et organisations
admin-people-intro = Tous les organisateurs de cette instance et toutes les organisations. Un compte désactivé ne peut plus se connecter, ses sessions prennent fin aussitôt et ses jetons d’API sont refusés, jusqu’à ce qu’il soit réactivé.
admin-people-search-label = Chercher par e-mail ou par organisation
admin-people-organizers-title = Organisateurs
admin-people-organizations-title = Organisations
admin-people-none = Personne ne correspond.
admin-people-col-organizations = Organisations et rôles
admin-people-col-created = Créé le
admin-people-col-state = Compte
admin-people-col-name = Nom
admin-people-col-slug = Adresse
admin-people-col-members = Membres
admin-people-col-petitions = Pétitions
admin-people-admin = admin
admin-people-active = Actif
admin-people-disabled = Désactivé
admin-people-you = Votre compte
admin-people-disable = Désactiver
admin-people-enable = Réactiver
admin-people-done-disabled = Le compte a été désactivé : ses sessions ont pris fin et il ne peut plus se connecter.
admin-people-done-enabled = Le compte a été réactivé : il peut de nouveau se connecter.
admin-people-error-own-account = Vous ne pouvez pas désactiver votre propre compte : un autre admin peut le faire.
