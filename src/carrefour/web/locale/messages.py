"""The console's messages in French and Dutch: the source of ``<lang>/LC_MESSAGES/console.po``.

Run ``python -m carrefour.web.locale.messages`` after changing it; a test checks that the ``.po``
files match and that every message of the templates and pages is translated."""

from __future__ import annotations

from pathlib import Path

# English message -> (French, Dutch)
MESSAGES: dict[str, tuple[str, str]] = {
    "Refused": ("Refusé", "Geweigerd"),
    "This form was not sent from the console (no valid token).": (
        "Ce formulaire n'a pas été envoyé depuis la console (jeton absent ou invalide).",
        "Dit formulier werd niet vanuit de console verzonden (geen geldig token).",
    ),
    "This page is not open to your role.": (
        "Cette page n'est pas ouverte à votre rôle.",
        "Deze pagina is niet open voor uw rol.",
    ),
    "Wrong user name or password, or session closed.": (
        "Nom d'utilisateur ou mot de passe erroné, ou session fermée.",
        "Verkeerde gebruikersnaam of wachtwoord, of sessie gesloten.",
    ),
    "Not authorised by the deliberations": (
        "Non autorisé par les délibérations",
        "Niet toegestaan door de beraadslagingen",
    ),
    "Your institution may not see this.": (
        "Votre institution ne peut pas voir ceci.",
        "Uw instelling mag dit niet inzien.",
    ),
    "Invalid request": ("Requête invalide", "Ongeldige aanvraag"),
    "Invalid NISS": ("NISS invalide", "Ongeldig INSZ"),
    "Invalid input": ("Donnée invalide", "Ongeldige invoer"),
    "Not found": ("Introuvable", "Niet gevonden"),
    "Missing, invalid or revoked credential": (
        "Identifiant absent, invalide ou révoqué",
        "Ontbrekende, ongeldige of ingetrokken sleutel",
    ),
    "Person": ("Personne", "Persoon"),
    "Back in the push queue (%(count)s), tries reset.": (
        "Remis dans la file d'envoi (%(count)s), essais remis à zéro.",
        "Terug in de verzendwachtrij (%(count)s), pogingen op nul gezet.",
    ),
    "Nothing to rerun: no failed delivery any more.": (
        "Rien à relancer : plus aucune remise en échec.",
        "Niets opnieuw te versturen: geen mislukte bezorging meer.",
    ),
    "Load more": ("Afficher plus", "Meer tonen"),
    "yes": ("oui", "ja"),
    "no": ("non", "nee"),
    "Broken": ("Rompue", "Verbroken"),
    "the tracking file of %(holder)s breaks at entry": (
        "le fichier de suivi de %(holder)s se rompt à l'entrée",
        "het opvolgingsbestand van %(holder)s breekt bij item",
    ),
    "%(rows)s rows of %(table)s have the %(column)s %(institution)s, which is no registered institution.": (  # noqa: E501
        "%(rows)s lignes de %(table)s ont pour %(column)s %(institution)s, qui n'est pas une "
        "institution enregistrée.",
        "%(rows)s rijen van %(table)s hebben als %(column)s %(institution)s, geen geregistreerde "
        "instelling.",
    ),
    "Intact": ("Intacte", "Intact"),
    "%(entries)s entries in %(files)s tracking files.": (
        "%(entries)s entrées dans %(files)s fichiers de suivi.",
        "%(entries)s items in %(files)s opvolgingsbestanden.",
    ),
    "Console": ("Console", "Console"),
    "console": ("console", "console"),
    "Dashboard": ("Tableau de bord", "Overzicht"),
    "Persons": ("Personnes", "Personen"),
    "Transactions": ("Transactions", "Transacties"),
    "Consultation log": ("Journal des consultations", "Raadplegingslogboek"),
    "Sign out": ("Se déconnecter", "Afmelden"),
    "NISS": ("NISS", "INSZ"),
    "Caller": ("Demandeur", "Aanvrager"),
    "Lines": ("Lignes", "Regels"),
    "Filter": ("Filtrer", "Filteren"),
    "Clear": ("Effacer", "Wissen"),
    "At": ("Quand", "Tijdstip"),
    "Action": ("Action", "Handeling"),
    "Flow": ("Flux", "Stroom"),
    "Answer": ("Réponse", "Antwoord"),
    "Deliberation": ("Délibération", "Beraadslaging"),
    "Detail": ("Détail", "Toelichting"),
    "No line matches.": ("Aucune ligne ne correspond.", "Geen enkele regel komt overeen."),
    "Mailboxes": ("Boîtes aux lettres", "Brievenbussen"),
    "message deliveries": ("remises de messages", "berichtbezorgingen"),
    "dead letters": ("lettres mortes", "onbestelbare berichten"),
    "Newest dead letters": ("Dernières lettres mortes", "Recentste onbestelbare berichten"),
    "Message": ("Message", "Bericht"),
    "From": ("De", "Van"),
    "To": ("À", "Aan"),
    "Tries": ("Essais", "Pogingen"),
    "Last error": ("Dernière erreur", "Laatste fout"),
    "Created": ("Créé", "Aangemaakt"),
    "Tracking files by holder": (
        "Fichiers de suivi par détenteur",
        "Opvolgingsbestanden per houder",
    ),
    "files": ("fichiers", "bestanden"),
    "Every message is recorded in the tracking file of its sender's network (ONSS, INASTI, ONEm, the pension cadastre; other senders keep their own); each file is a hash chain: an entry edited or deleted behind the hub's back breaks it.": (  # noqa: E501
        "Chaque message est enregistré dans le fichier de suivi du réseau de son expéditeur "
        "(ONSS, INASTI, ONEm, cadastre des pensions ; les autres tiennent le leur) ; chaque "
        "fichier est une chaîne de hachage : une entrée modifiée ou supprimée à l'insu du hub la "
        "rompt.",
        "Elk bericht wordt opgenomen in het opvolgingsbestand van het netwerk van de afzender "
        "(RSZ, RSVZ, RVA, pensioenkadaster; de anderen houden hun eigen bij); elk bestand is een "
        "hashketen: een item dat buiten de hub om gewijzigd of gewist wordt, verbreekt ze.",
    ),
    "Holder": ("Détenteur", "Houder"),
    "Verify the tracking file": ("Vérifier le fichier de suivi", "Opvolgingsbestand nakijken"),
    "Emitter": ("Émetteur", "Afzender"),
    "Last entry": ("Dernière entrée", "Laatste item"),
    "Head hash": ("Hachage de tête", "Laatste hash"),
    "No message sent yet.": ("Aucun message envoyé.", "Nog geen bericht verzonden."),
    "Home": ("Accueil", "Startpagina"),
    "Sign in again": ("Se reconnecter", "Opnieuw aanmelden"),
    "Sign in": ("Se connecter", "Aanmelden"),
    "User name": ("Nom d'utilisateur", "Gebruikersnaam"),
    "Password": ("Mot de passe", "Wachtwoord"),
    "Hub operators: sign in with a credential of the hub": (
        "Opérateurs du hub : connexion avec un identifiant du hub",
        "Beheerders van de hub: aanmelden met een sleutel van de hub",
    ),
    "Credential": ("Identifiant", "Sleutel"),
    "Envelope": ("Enveloppe", "Envelop"),
    "Sender": ("Expéditeur", "Afzender"),
    "replaced by": ("remplacé par", "vervangen door"),
    "Event date": ("Date de l'événement", "Datum van de gebeurtenis"),
    "Period": ("Période", "Periode"),
    "In reply to": ("En réponse à", "Antwoord op"),
    "Payload": ("Contenu", "Inhoud"),
    "Recipients": ("Destinataires", "Bestemmelingen"),
    "Recipient": ("Destinataire", "Bestemmeling"),
    "Status": ("État", "Status"),
    "Next try": ("Prochain essai", "Volgende poging"),
    "Delivered": ("Remis", "Bezorgd"),
    "Fields": ("Champs", "Velden"),
    "replay": ("renvoi", "herzending"),
    "Rerun": ("Relancer", "Opnieuw versturen"),
    "No mailbox row (the message went on paper, or to nobody).": (
        "Aucune ligne de boîte aux lettres (le message est parti sur papier, ou vers personne).",
        "Geen brievenbusregel (het bericht ging op papier, of naar niemand).",
    ),
    "Tracking entries": ("Entrées de suivi", "Opvolgingsitems"),
    "Sent": ("Envoyé", "Verzonden"),
    "Status when sent": ("État à l'envoi", "Status bij verzending"),
    "Previous hash": ("Hachage précédent", "Vorige hash"),
    "Hash": ("Hachage", "Hash"),
    "No tracking entry.": ("Aucune entrée de suivi.", "Geen opvolgingsitem."),
    "Answers and follow-ups": ("Réponses et suites", "Antwoorden en vervolg"),
    "No answer yet.": ("Pas encore de réponse.", "Nog geen antwoord."),
    "Directory lines": ("Lignes du répertoire", "Regels van het verwijzingsrepertorium"),
    "Institution": ("Institution", "Instelling"),
    "Capacity": ("Qualité", "Hoedanigheid"),
    "Phase": ("Phase", "Fase"),
    "History": ("Historique", "Geschiedenis"),
    "cancelled": ("annulée", "geannuleerd"),
    "No line.": ("Aucune ligne.", "Geen regel."),
    "Self-employed career (RGTI)": (
        "Carrière d'indépendant (RGTI)",
        "Loopbaan als zelfstandige (RGTI)",
    ),
    "Your institution's deliberations do not grant the career.": (
        "Les délibérations de votre institution n'accordent pas la carrière.",
        "De beraadslagingen van uw instelling verlenen de loopbaan niet.",
    ),
    "start message": ("message de début", "beginbericht"),
    "stop message": ("message de fin", "eindbericht"),
    "hatched: gap": ("hachuré : interruption", "gearceerd: onderbreking"),
    "No self-employed career.": (
        "Aucune carrière d'indépendant.",
        "Geen loopbaan als zelfstandige.",
    ),
    "Vouchers by period": ("Bons de cotisation par période", "Bijdragebonnen per periode"),
    "Delivery": ("Remise", "Bezorging"),
    "Paper": ("Papier", "Papier"),
    "Paper voucher (PDF)": ("Bon papier (PDF)", "Papieren bon (PDF)"),
    "No voucher.": ("Aucun bon.", "Geen bon."),
    "Messages": ("Messages", "Berichten"),
    "State per recipient": ("État par destinataire", "Status per bestemmeling"),
    "No message.": ("Aucun message.", "Geen bericht."),
    "Who consulted this person": ("Qui a consulté cette personne", "Wie deze persoon raadpleegde"),
    "When": ("Quand", "Wanneer"),
    "Who": ("Qui", "Wie"),
    "What": ("Quoi", "Wat"),
    "allowed": ("autorisé", "toegestaan"),
    "refused": ("refusé", "geweigerd"),
    "Nobody yet.": ("Personne encore.", "Nog niemand."),
    "Find a person": ("Trouver une personne", "Een persoon zoeken"),
    "Search": ("Chercher", "Zoeken"),
    "any": ("tous", "alle"),
    "Event": ("Événement", "Gebeurtenis"),
    "Status now": ("État actuel", "Huidige status"),
    "No transaction matches.": (
        "Aucune transaction ne correspond.",
        "Geen transactie komt overeen.",
    ),
    "Career timeline": ("Ligne du temps de la carrière", "Tijdlijn van de loopbaan"),
    "Gap": ("Interruption", "Onderbreking"),
    "Assimilated": ("Assimilé", "Gelijkgesteld"),
    "Who asked what about whom, and what the hub answered, newest first. Operators' reads of a person and their reruns are here too.": (  # noqa: E501
        "Qui a demandé quoi sur qui, et ce que le hub a répondu, du plus récent au plus ancien. "
        "Les lectures d'une personne par les opérateurs et leurs relances y figurent aussi.",
        "Wie wat over wie vroeg, en wat de hub antwoordde, recentste eerst. Wat beheerders over "
        "een persoon lazen en hun herzendingen staan er ook in.",
    ),
    "Every message to every recipient, from the tracking file, newest first, with where it stands now.": (  # noqa: E501
        "Chaque message à chaque destinataire, d'après le fichier de suivi, du plus récent au "
        "plus ancien, avec son état actuel.",
        "Elk bericht aan elke bestemmeling, uit het opvolgingsbestand, recentste eerst, met "
        "zijn huidige status.",
    ),
    "Reference": ("Référentiel", "Referentie"),
    "Institutions": ("Institutions", "Instellingen"),
    "Flows": ("Flux", "Stromen"),
    "Deliberations": ("Délibérations", "Beraadslagingen"),
    "Capacity codes": ("Codes qualité", "Hoedanigheidscodes"),
    "Identifier": ("Identifiant", "Kenmerk"),
    "Name": ("Nom", "Naam"),
    "Sector/type": ("Secteur/type", "Sector/type"),
    "Enterprise number": ("Numéro d'entreprise", "Ondernemingsnummer"),
    "Code": ("Code", "Code"),
    "Form": ("Formulaire", "Formulier"),
    "Decision": ("Décision", "Beslissing"),
    "Parties (sector/types)": ("Parties (secteur/types)", "Partijen (sector/types)"),
    "Capacities": ("Qualités", "Hoedanigheden"),
    "Minimum phase": ("Phase minimale", "Minimale fase"),
    "Sector": ("Secteur", "Sector"),
    "Label": ("Libellé", "Omschrijving"),
    "Raw JSON": ("JSON brut", "Ruwe JSON"),
    "Push delivery": ("Envoi poussé", "Push-bezorging"),
    "Paused since": ("En pause depuis", "Gepauzeerd sinds"),
    "Resume": ("Reprendre", "Hervatten"),
    "No recipient paused.": ("Aucun destinataire en pause.", "Geen bestemmeling gepauzeerd."),
    "Pause push delivery": ("Suspendre l'envoi poussé", "Push-bezorging pauzeren"),
    # delivery states
    "queued": ("en attente", "wachtend"),
    "delivered": ("remis", "bezorgd"),
    "accepted": ("accepté", "aanvaard"),
    "rejected": ("rejeté", "verworpen"),
    "corrected": ("corrigé", "verbeterd"),
    "failed": ("en échec", "mislukt"),
    "paper": ("papier", "papier"),
    # directory line changes
    "integrated": ("intégrée", "opgenomen"),
    "ended": ("clôturée", "beëindigd"),
    "cut": ("coupée", "ingekort"),
    # consultation log actions
    "consult": ("consultation", "raadpleging"),
    "rerun": ("relance", "herzending"),
    "send": ("envoi", "verzending"),
    "receive": ("réception", "ontvangst"),
    "integrate": ("intégration", "opname"),
    # flows
    "self-employed-start": ("début d'activité indépendante", "begin zelfstandige activiteit"),
    "self-employed-stop": ("fin d'activité indépendante", "einde zelfstandige activiteit"),
    "rgti-affiliation": ("affiliation RGTI", "aansluiting RGTI"),
    "rgti-assimilation": ("assimilation RGTI", "gelijkstelling RGTI"),
    "rgti-career": ("carrière RGTI", "loopbaan RGTI"),
    "tracking": ("suivi", "opvolging"),
    "directory": ("répertoire", "repertorium"),
    "contribution-voucher": ("bon de cotisation", "bijdragebon"),
    "pension-voucher": ("bon de pension", "pensioenbon"),
    "paper-voucher": ("bon papier", "papieren bon"),
    "answer": ("réponse", "antwoord"),
    "identification-correction": ("correction d'identification", "identificatieverbetering"),
    "resend-request": ("demande de renvoi", "verzoek tot herzending"),
    "provisional-proof": ("preuve provisoire", "voorlopig bewijs"),
    "insurability": ("assurabilité", "verzekerbaarheid"),
    "inami-case": ("dossier INAMI", "RIZIV-dossier"),
    "Accepted": ("Acceptés", "Aanvaard"),
    "All batches": ("Tous les lots", "Alle batches"),
    "All cases": ("Tous les dossiers", "Alle dossiers"),
    "Backlog per recipient": ("Arriéré par destinataire", "Achterstand per bestemmeling"),
    "Batch": ("Lot", "Batch"),
    "Batches": ("Lots", "Batches"),
    "Case": ("Dossier", "Dossier"),
    "Choose a batch file to upload.": (
        "Choisissez un fichier de lot à envoyer.",
        "Kies een batchbestand om op te laden.",
    ),
    "Closed": ("Clôturé", "Afgesloten"),
    "Dead letters": ("Lettres mortes", "Onbestelbare berichten"),
    "Document": ("Document", "Document"),
    "Documents": ("Documents", "Documenten"),
    "Download the error report (CSV)": (
        "Télécharger le rapport d'erreurs (CSV)",
        "Foutenrapport downloaden (CSV)",
    ),
    "File": ("Fichier", "Bestand"),
    "Flows dashboard: messages per day, backlogs, dead letters, pause and resume": (
        "Tableau des flux : messages par jour, arriérés, lettres mortes, suspension et reprise",
        "Stromenoverzicht: berichten per dag, achterstanden, onbestelbare berichten, pauzeren en hervatten",  # noqa: E501
    ),
    "Format": ("Format", "Formaat"),
    "INAMI cases": ("Dossiers INAMI", "RIZIV-dossiers"),
    "Interventions": ("Interventions", "Tussenkomsten"),
    "Issue a provisional proof": (
        "Délivrer une preuve provisoire",
        "Een voorlopig bewijs afleveren",
    ),
    "Issued": ("Délivrée", "Afgeleverd"),
    "Line": ("Ligne", "Regel"),
    "Messages per flow per day": ("Messages par flux et par jour", "Berichten per stroom per dag"),
    "Mutuality": ("Mutualité", "Ziekenfonds"),
    "No batch yet.": ("Aucun lot pour l'instant.", "Nog geen batch."),
    "No case.": ("Aucun dossier.", "Geen dossier."),
    "No dead letter.": ("Aucune lettre morte.", "Geen onbestelbaar bericht."),
    "No document.": ("Aucun document.", "Geen document."),
    "No intervention.": ("Aucune intervention.", "Geen tussenkomst."),
    "No mailbox holds a message.": (
        "Aucune boîte aux lettres ne contient de message.",
        "Geen enkele brievenbus bevat een bericht.",
    ),
    "No message sent in these days.": (
        "Aucun message envoyé ces jours-là.",
        "In deze dagen werd geen bericht verzonden.",
    ),
    "No proof issued.": ("Aucune preuve délivrée.", "Geen bewijs afgeleverd."),
    "No recipient to replay to.": (
        "Aucun destinataire à qui renvoyer.",
        "Geen bestemmeling om opnieuw naar te sturen.",
    ),
    "No record was rejected.": (
        "Aucun enregistrement n'a été rejeté.",
        "Geen enkel record werd geweigerd.",
    ),
    "No voucher in the tracking files.": (
        "Aucun bordereau dans les fichiers de suivi.",
        "Geen borderel in de opvolgingsbestanden.",
    ),
    "Not answered": ("Sans réponse", "Onbeantwoord"),
    "Not replayed: the deliberations refuse %(recipient)s today (%(reason)s). Both decisions are in the consultation log.": (  # noqa: E501
        "Non renvoyé : les délibérations refusent %(recipient)s aujourd'hui (%(reason)s). Les deux décisions sont dans le journal des consultations.",  # noqa: E501
        "Niet opnieuw verstuurd: de beraadslagingen weigeren %(recipient)s vandaag (%(reason)s). Beide beslissingen staan in het raadplegingslogboek.",  # noqa: E501
    ),
    "Note": ("Note", "Notitie"),
    "Oldest not answered": ("Le plus ancien sans réponse", "Oudste onbeantwoorde"),
    "On paper": ("Sur papier", "Op papier"),
    "Opened": ("Ouvert", "Geopend"),
    "Paper vouchers": ("Bordereaux papier", "Papieren borderellen"),
    "Per-record errors": ("Erreurs par enregistrement", "Fouten per record"),
    "Processed": ("Traités", "Verwerkt"),
    "Progress": ("Avancement", "Voortgang"),
    "Provisional proof (PDF)": ("Preuve provisoire (PDF)", "Voorlopig bewijs (PDF)"),
    "Provisional proofs": ("Preuves provisoires", "Voorlopige bewijzen"),
    "Reason": ("Motif", "Reden"),
    "Received": ("Reçu", "Ontvangen"),
    "Recent batches": ("Lots récents", "Recente batches"),
    "Records": ("Enregistrements", "Records"),
    "Rejected": ("Rejetés", "Geweigerd"),
    "Replay": ("Renvoyer", "Opnieuw versturen"),
    "Replay to one recipient": (
        "Renvoyer à un destinataire",
        "Opnieuw versturen naar één bestemmeling",
    ),
    "Replayed to %(recipient)s under rule %(rule)s (first sent under %(original)s).": (
        "Renvoyé à %(recipient)s selon la règle %(rule)s (envoyé d'abord selon %(original)s).",
        "Opnieuw verstuurd naar %(recipient)s volgens regel %(rule)s (eerst verstuurd volgens %(original)s).",  # noqa: E501
    ),
    "Retry": ("Réessayer", "Opnieuw proberen"),
    "Routed": ("Routés", "Gerouteerd"),
    "Size": ("Taille", "Grootte"),
    "The deliberations are checked again as of today; the first decision and today's are both written to the consultation log.": (  # noqa: E501
        "Les délibérations sont vérifiées à nouveau à la date du jour ; la première décision et celle d'aujourd'hui sont toutes deux écrites au journal des consultations.",  # noqa: E501
        "De beraadslagingen worden opnieuw nagegaan op vandaag; de eerste beslissing en die van vandaag komen allebei in het raadplegingslogboek.",  # noqa: E501
    ),
    "The mutualities' requests to the administrative cell, newest first.": (
        "Les demandes des mutualités à la cellule administrative, les plus récentes d'abord.",
        "De aanvragen van de ziekenfondsen aan de administratieve cel, nieuwste eerst.",
    ),
    "Thread": ("Fil", "Draad"),
    "Type": ("Type", "Soort"),
    "Upload": ("Envoyer", "Opladen"),
    "Upload a batch file": ("Envoyer un fichier de lot", "Een batchbestand opladen"),
    "Valid until": ("Valable jusqu'au", "Geldig tot"),
    "Voucher tracking across the emitters": (
        "Suivi des bordereaux chez les émetteurs",
        "Opvolging van de borderellen bij de verzenders",
    ),
    "Vouchers in JSON Lines or fixed-width records, sent as %(institution)s. The file is stored and processed in the background.": (  # noqa: E501
        "Bordereaux en JSONL (JSON Lines) ou en enregistrements à largeur fixe, envoyés au nom de %(institution)s. Le fichier est conservé et traité en arrière-plan.",  # noqa: E501
        "Borderellen in JSONL of in records met vaste breedte, verzonden als %(institution)s. Het bestand wordt bewaard en op de achtergrond verwerkt.",  # noqa: E501
    ),
    "Why on paper": ("Pourquoi sur papier", "Waarom op papier"),
    "detect": ("détecter", "herkennen"),
    "fixed-width": ("largeur fixe", "vaste breedte"),
    "last %(days)s days": ("%(days)s derniers jours", "laatste %(days)s dagen"),
    "older than the rows read": ("plus ancien que les lignes lues", "ouder dan de gelezen rijen"),
    "paper vouchers": ("bordereaux papier", "papieren borderellen"),
    "sent by": ("envoyé par", "verzonden door"),
    "received": ("reçu", "ontvangen"),
    "processing": ("en traitement", "in verwerking"),
    "done": ("terminé", "klaar"),
    "open": ("ouvert", "open"),
    "proof-issued": ("preuve délivrée", "bewijs afgeleverd"),
    "waiting-emitter": ("en attente de l'émetteur", "wacht op verzender"),
    "closed": ("clôturé", "afgesloten"),
    "active": ("en vigueur", "geldig"),
    "superseded": ("remplacée", "vervangen"),
    "expired": ("expirée", "verlopen"),
    "waiting": ("en attente", "wachtend"),
    "answered": ("répondu", "beantwoord"),
    "correct": ("corriger", "verbeteren"),
    "explain": ("expliquer", "toelichten"),
    "in-order": ("en ordre", "in orde"),
    "not-insured": ("non assuré", "niet verzekerd"),
    "withdrawn": ("retiré", "ingetrokken"),
    "intervention-request": ("demande d'intervention", "verzoek om tussenkomst"),
    "intervention-answer": ("réponse à l'intervention", "antwoord op tussenkomst"),
    "d": ("j", "d"),
    "h": ("h", "u"),
    "min": ("min", "min"),
    "s": ("s", "s"),
    "No mutuality integrated this person for the period": (
        "Aucune mutualité n'a intégré cette personne pour la période",
        "Geen ziekenfonds heeft deze persoon voor de periode geïntegreerd",
    ),
    "The NISS the sender knows was replaced by %(new)s": (
        "Le NISS connu de l'expéditeur a été remplacé par %(new)s",
        "Het INSZ dat de afzender kent werd vervangen door %(new)s",
    ),
}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write(directory: Path) -> None:
    for index, language in enumerate(("fr", "nl")):
        lines = [
            'msgid ""',
            'msgstr ""',
            f'"Language: {language}\\n"',
            '"Content-Type: text/plain; charset=UTF-8\\n"',
            "",
        ]
        for english, translated in MESSAGES.items():
            lines += [f"msgid {_quote(english)}", f"msgstr {_quote(translated[index])}", ""]
        path = directory / language / "LC_MESSAGES" / "console.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    write(Path(__file__).resolve().parent)
