"""Demo data for erfa: ERFA groups, officials, discussions and shared resources.

Pure data, used to seed a demo installation (`erfa serve --demo`). The municipalities,
themes and goals it refers to are the reference data every installation gets from its
migrations. Identifiers are English,
content is Swedish as the officials would write it. Officials are referenced by email,
municipalities and groups by slug, goals by number; a post's `reply_to` is the index of an
earlier post in the same thread.
"""

from typing import Any

# The ERFA groups: five open focus-area groups and the closed steering group.
GROUPS: list[dict[str, Any]] = [
    {
        "slug": "ungdom",
        "name": "Ungdom",
        "focus_area": "youth",
        "visibility": "open",
        "description": (
            "För oss som arbetar med ungas fritid, inflytande och hälsa. Här delar vi erfarenheter "
            "av ungdomsråd, fritidsgårdar, feriepraktik och uppsökande arbete."
        ),
        "goals": [3, 4, 10, 16],
    },
    {
        "slug": "attraktionskraft",
        "name": "Attraktionskraft",
        "focus_area": "attractiveness",
        "visibility": "open",
        "description": (
            "Hur blir Bergslagen en plats där fler vill bo och stanna? Gruppen samlar "
            "näringslivsutvecklare, inflyttarlotsar och samhällsplanerare kring inflyttning, "
            "kompetensförsörjning och platsutveckling."
        ),
        "goals": [8, 11],
    },
    {
        "slug": "kommunikation",
        "name": "Kommunikation",
        "focus_area": "communication",
        "visibility": "open",
        "description": (
            "Gruppen för kommunikatörer och webbredaktörer i Bergslagskommunerna. Vi utbyter "
            "erfarenheter av invånardialog, kriskommunikation, tillgänglighet och platsvarumärke."
        ),
        "goals": [16, 17],
    },
    {
        "slug": "mangfald",
        "name": "Mångfald",
        "focus_area": "diversity",
        "visibility": "open",
        "description": (
            "Här diskuterar vi mottagande, etablering och inkludering av nyanlända och andra "
            "grupper som riskerar utanförskap. Gruppen bygger vidare på arbetet från temaåret "
            "Integration 2016."
        ),
        "goals": [8, 10, 16],
    },
    {
        "slug": "jamstalldhet",
        "name": "Jämställdhet",
        "focus_area": "equality",
        "visibility": "open",
        "description": (
            "För strateger, HR och verksamhetsansvariga som arbetar med jämställdhetsintegrering. "
            "Vi delar metoder för jämställdhetsanalys, könsuppdelad statistik och jämställd "
            "fördelning av resurser."
        ),
        "goals": [5, 10],
    },
    {
        "slug": "styrgrupp",
        "name": "Styrgrupp",
        "focus_area": "other",
        "visibility": "closed",
        "description": (
            "Styrgruppen består av ledarna för ERFA-grupperna och Bergslagsakademiens "
            "processledare. Här planerar vi teman, seminarier och den årliga konferensen "
            "Bergslagen 2030."
        ),
        "goals": [17],
    },
]

# Demo officials; `groups` maps a group slug to the role "lead" or "member".
OFFICIALS: list[dict[str, Any]] = [
    {
        "email": "anna.lindqvist@ludvika.se",
        "name": "Anna Lindqvist",
        "title": "Processledare, Bergslagsakademien",
        "municipality": "ludvika",
        "coordinator": True,
        "locale": "sv",
        "groups": {"styrgrupp": "lead"},
    },
    {
        "email": "johan.eriksson@hedemora.se",
        "name": "Johan Eriksson",
        "title": "Ungdomssamordnare",
        "municipality": "hedemora",
        "coordinator": False,
        "locale": "sv",
        "groups": {"ungdom": "lead", "styrgrupp": "lead"},
    },
    {
        "email": "maria.oberg@fagersta.se",
        "name": "Maria Öberg",
        "title": "Näringslivsutvecklare",
        "municipality": "fagersta",
        "coordinator": False,
        "locale": "sv",
        "groups": {"attraktionskraft": "lead", "styrgrupp": "member"},
    },
    {
        "email": "per.akesson@borlange.se",
        "name": "Per Åkesson",
        "title": "Kommunikationschef",
        "municipality": "borlange",
        "coordinator": False,
        "locale": "sv",
        "groups": {"kommunikation": "lead", "styrgrupp": "member"},
    },
    {
        "email": "amira.hassan@avesta.se",
        "name": "Amira Hassan",
        "title": "Integrationssamordnare",
        "municipality": "avesta",
        "coordinator": False,
        "locale": "sv",
        "groups": {"mangfald": "lead", "styrgrupp": "member"},
    },
    {
        "email": "sofia.bergstrom@lindesberg.se",
        "name": "Sofia Bergström",
        "title": "Jämställdhetsstrateg",
        "municipality": "lindesberg",
        "coordinator": False,
        "locale": "sv",
        "groups": {"jamstalldhet": "lead", "styrgrupp": "member"},
    },
    {
        "email": "emma.karlsson@norberg.se",
        "name": "Emma Karlsson",
        "title": "Fritidskonsulent",
        "municipality": "norberg",
        "coordinator": False,
        "locale": "sv",
        "groups": {"ungdom": "member", "jamstalldhet": "member"},
    },
    {
        "email": "mikael.nystrom@storfors.se",
        "name": "Mikael Nyström",
        "title": "Fritidschef",
        "municipality": "storfors",
        "coordinator": False,
        "locale": "sv",
        "groups": {"ungdom": "member", "attraktionskraft": "member"},
    },
    {
        "email": "linnea.hakansson@nora.se",
        "name": "Linnea Håkansson",
        "title": "Folkhälsostrateg",
        "municipality": "nora",
        "coordinator": False,
        "locale": "sv",
        "groups": {"ungdom": "member", "jamstalldhet": "member"},
    },
    {
        "email": "erik.lundgren@filipstad.se",
        "name": "Erik Lundgren",
        "title": "Samhällsutvecklare",
        "municipality": "filipstad",
        "coordinator": False,
        "locale": "en",
        "groups": {"attraktionskraft": "member", "kommunikation": "member"},
    },
    {
        "email": "helena.sjoberg@ludvika.se",
        "name": "Helena Sjöberg",
        "title": "Inflyttarlots",
        "municipality": "ludvika",
        "coordinator": False,
        "locale": "sv",
        "groups": {"attraktionskraft": "member", "kommunikation": "member"},
    },
    {
        "email": "tomas.wallin@hedemora.se",
        "name": "Tomas Wallin",
        "title": "Kommunikatör",
        "municipality": "hedemora",
        "coordinator": False,
        "locale": "sv",
        "groups": {"kommunikation": "member"},
    },
    {
        "email": "jenny.forsberg@avesta.se",
        "name": "Jenny Forsberg",
        "title": "Webbredaktör",
        "municipality": "avesta",
        "coordinator": False,
        "locale": "sv",
        "groups": {"kommunikation": "member", "mangfald": "member"},
    },
    {
        "email": "ahmad.rahimi@lindesberg.se",
        "name": "Ahmad Rahimi",
        "title": "Arbetsmarknadskonsulent",
        "municipality": "lindesberg",
        "coordinator": False,
        "locale": "sv",
        "groups": {"mangfald": "member"},
    },
    {
        "email": "malin.ekstrom@fagersta.se",
        "name": "Malin Ekström",
        "title": "Biblioteksutvecklare",
        "municipality": "fagersta",
        "coordinator": False,
        "locale": "en",
        "groups": {"mangfald": "member"},
    },
    {
        "email": "fredrik.holm@nora.se",
        "name": "Fredrik Holm",
        "title": "HR-strateg",
        "municipality": "nora",
        "coordinator": False,
        "locale": "sv",
        "groups": {"jamstalldhet": "member"},
    },
]

# Discussions; `reply_to` is None or the index of an earlier post in the thread.
THREADS: list[dict[str, Any]] = [
    {
        "group": "ungdom",
        "title": "Välkommen till ERFA-gruppen Ungdom – läs detta först",
        "goals": [3, 4],
        "pinned": True,
        "locked": False,
        "posts": [
            {
                "author": "johan.eriksson@hedemora.se",
                "body": (
                    "Hej och välkommen! Den här gruppen är till för oss som arbetar med ungas "
                    "fritid, inflytande och hälsa i Bergslagskommunerna.\n\n"
                    "Några enkla spelregler:\n\n"
                    "- Berätta gärna kort om din roll när du startar din första tråd.\n"
                    "- Dela **underlag och siffror**, men aldrig personuppgifter om enskilda "
                    "ungdomar.\n"
                    "- Lägg färdiga modeller och verktyg under Resurser, så hittar andra kommuner "
                    "dem.\n"
                    "- Håll god ton, vi är här för att lära av varandra.\n\n"
                    "Vi träffas fysiskt fyra gånger per år. Nästa träff är i Norberg den 14 mars."
                ),
                "reply_to": None,
            },
            {
                "author": "emma.karlsson@norberg.se",
                "body": (
                    "Tack Johan! Vi är gärna värdar i Norberg. Vi bokar sammanträdesrummet i "
                    "kommunhuset och bjuder på lunch, så meddela mig eventuell specialkost senast "
                    "en vecka innan."
                ),
                "reply_to": 0,
            },
        ],
    },
    {
        "group": "ungdom",
        "title": "Hur når ni unga som aldrig kommer till fritidsgården?",
        "theme": "social-hallbarhet",
        "goals": [3, 10],
        "pinned": False,
        "locked": False,
        "posts": [
            {
                "author": "linnea.hakansson@nora.se",
                "body": (
                    "I vår LUPP-enkät svarade ungefär 70 procent av högstadieeleverna i Nora att "
                    "de aldrig besöker fritidsgården. Samtidigt är det bland just dem vi ser mest "
                    "psykisk ohälsa och ensamhet.\n\n"
                    "Hur gör ni för att nå de unga som inte söker sig till de öppna "
                    "verksamheterna? Har någon provat uppsökande arbete eller aktiviteter under "
                    "skoltid?"
                ),
                "reply_to": None,
            },
            {
                "author": "mikael.nystrom@storfors.se",
                "body": (
                    "I Storfors började vi förra hösten med **fritidsgården på lunchrasten**: två "
                    "fritidsledare finns i skolans matsal och uppehållsrum tre dagar i veckan. Det "
                    "kostar oss ungefär 0,4 tjänst.\n\n"
                    "Efter en termin hade vi 35 nya besökare på kvällarna, de flesta tjejer i "
                    "årskurs 7. Det viktigaste var nog att personalen blev kända ansikten innan de "
                    "bjöd in till något."
                ),
                "reply_to": 0,
            },
            {
                "author": "johan.eriksson@hedemora.se",
                "body": (
                    "> Det viktigaste var nog att personalen blev kända ansikten innan de bjöd in "
                    "till något.\n\n"
                    "Det känner jag igen. I Hedemora fick vi samma effekt när ungdomsrådet själva "
                    "fick planera tre kvällar per termin. Fler kom för att kompisar stod som "
                    "arrangörer, inte för att vi annonserade mer. Mikael, hur fick ni med "
                    "skolledningen på att ni är där på skoltid?"
                ),
                "reply_to": 1,
            },
            {
                "author": "mikael.nystrom@storfors.se",
                "body": (
                    "Rektorn ser det som en del av trygghetsarbetet på rasterna, så vi har en "
                    "skriftlig överenskommelse som ses över varje läsår. Jag lägger upp den här i "
                    "gruppen."
                ),
                "reply_to": 2,
            },
            {
                "author": "emma.karlsson@norberg.se",
                "body": (
                    "Vi i Norberg har testat att ha öppet på lördagar i stället för fredagar, "
                    "efter önskemål från tjejerna i årskurs 8. Det lockade en ny grupp, men vi "
                    "tappade några av de äldre killarna. Ingen lösning passar alla, tyvärr."
                ),
                "reply_to": 0,
            },
        ],
    },
    {
        "group": "attraktionskraft",
        "title": "Inflyttarservice – hur mäter ni effekten?",
        "theme": "attraktivitet",
        "goals": [8, 11],
        "pinned": False,
        "locked": False,
        "posts": [
            {
                "author": "helena.sjoberg@ludvika.se",
                "body": (
                    "Vi har haft inflyttarservice i Ludvika sedan 2017 och får nu frågan från "
                    "kommunstyrelsen vad den faktiskt ger. Vi räknar antalet kontakter (cirka 240 "
                    "hushåll förra året), men det säger inget om vilka som stannar.\n\n"
                    "Hur följer ni upp? Mäter någon hur många som bor kvar efter två eller tre år?"
                ),
                "reply_to": None,
            },
            {
                "author": "maria.oberg@fagersta.se",
                "body": (
                    "I Fagersta skickar vi en kort enkät till alla vi har haft kontakt med, tolv "
                    "månader efter inflyttningen. Svarsfrekvensen ligger runt 45 procent.\n\n"
                    "Det som sticker ut är att **den medflyttandes jobb** avgör mer än bostaden. "
                    "Vi har därför börjat samarbeta med de största arbetsgivarna kring "
                    "partnerservice."
                ),
                "reply_to": 0,
            },
            {
                "author": "erik.lundgren@filipstad.se",
                "body": (
                    "Det stämmer med vår bild i Filipstad. Vi har dessutom beställt flyttstatistik "
                    "per inflyttningsår från SCB, så vi ser hur många av dem som flyttade in 2016 "
                    "som fortfarande är folkbokförda här. Det kostade omkring 8 000 kr och var "
                    "värt varenda krona när vi skulle motivera verksamheten i budgeten."
                ),
                "reply_to": 1,
            },
            {
                "author": "helena.sjoberg@ludvika.se",
                "body": (
                    "Tack båda två! Erik, kan du dela beställningen till SCB? Då kan vi kanske "
                    "göra en gemensam beställning för flera kommuner och dela på kostnaden."
                ),
                "reply_to": 2,
            },
        ],
    },
    {
        "group": "attraktionskraft",
        "title": "Sommarjobb för studenter som flyttat hemifrån?",
        "theme": "kompetensforsorjning",
        "goals": [4, 8],
        "pinned": False,
        "locked": False,
        "posts": [
            {
                "author": "mikael.nystrom@storfors.se",
                "body": (
                    "Vi funderar i Storfors på att erbjuda sommarjobb även till unga som pluggar "
                    "på annan ort, inte bara till gymnasieelever. Tanken är att hålla kontakten "
                    "med dem som flyttat för att studera, så att de ser att det finns jobb här "
                    "efter examen. Har någon gjort något liknande?"
                ),
                "reply_to": None,
            },
            {
                "author": "maria.oberg@fagersta.se",
                "body": (
                    "Vi gjorde ett försök med **sommarjobb för högskolestudenter** i Fagersta "
                    "2018, tillsammans med tre företag. Tolv studenter sökte och sju fick plats. "
                    "Två av dem gör nu sina examensarbeten hos samma arbetsgivare. Litet underlag, "
                    "men företagen vill fortsätta och två till har hört av sig."
                ),
                "reply_to": 0,
            },
        ],
    },
    {
        "group": "kommunikation",
        "title": "Viktig information till invånare som inte läser svenska",
        "theme": "integration",
        "goals": [10, 16],
        "pinned": False,
        "locked": False,
        "posts": [
            {
                "author": "tomas.wallin@hedemora.se",
                "body": (
                    "I samband med vattenläckan i Långshyttan i höstas märkte vi att informationen "
                    "inte nådde alla. Vi hade text på webben och i lokaltidningen, men bara på "
                    "svenska.\n\n"
                    "Hur har ni löst information på andra språk och på lätt svenska vid störningar "
                    "och kriser?"
                ),
                "reply_to": None,
            },
            {
                "author": "jenny.forsberg@avesta.se",
                "body": (
                    "Vi i Avesta har **färdiga översatta mallar** på fem språk (arabiska, "
                    "somaliska, tigrinja, dari och engelska) och på lätt svenska för de vanligaste "
                    "situationerna:\n\n"
                    "- kokningsrekommendation för dricksvatten\n"
                    "- strömavbrott\n"
                    "- stängd skola eller förskola\n"
                    "- värmebölja\n\n"
                    "Mallarna tog ungefär en månad att ta fram tillsammans med tolkförmedlingen. "
                    "När något händer fyller vi bara i ort, datum och tider."
                ),
                "reply_to": 0,
            },
            {
                "author": "per.akesson@borlange.se",
                "body": (
                    "> färdiga översatta mallar på fem språk\n\n"
                    "Det här borde vi göra gemensamt i Bergslagen, situationerna är ju desamma i "
                    "alla våra kommuner. Jag tar upp det i styrgruppen som ett möjligt gemensamt "
                    "projekt och återkommer."
                ),
                "reply_to": 1,
            },
            {
                "author": "helena.sjoberg@ludvika.se",
                "body": (
                    "Ett tips från Ludvika: vi skickar även ut informationen via SFI-lärarna och "
                    "några föreningar. Muntlig spridning når ofta fler än webben."
                ),
                "reply_to": 0,
            },
        ],
    },
    {
        "group": "kommunikation",
        "title": "Gemensam bildbank för Bergslagen",
        "theme": "attraktivitet",
        "goals": [11, 17],
        "pinned": False,
        "locked": True,
        "lock_reason": (
            "Bildbanken är beslutad och fortsätter i projektgruppen; nya frågor tar vi i "
            "en ny tråd."
        ),
        "posts": [
            {
                "author": "erik.lundgren@filipstad.se",
                "body": (
                    "Finns det intresse för en gemensam bildbank med bilder från våra kommuner som "
                    "alla får använda i marknadsföringen? Vi i Filipstad köper ofta in bilder som "
                    "någon annan kommun redan har betalat för."
                ),
                "reply_to": None,
            },
            {
                "author": "per.akesson@borlange.se",
                "body": (
                    "Frågan är nu utredd. Juristerna i Borlänge bedömer att vi kan dela befintliga "
                    "bilder bara om fotografens avtal tillåter det, och att vi behöver **ett "
                    "gemensamt avtal** för nya uppdrag. Styrgruppen beslutade den 4 juni att vi "
                    "tar fram ett sådant avtal inför 2020.\n\n"
                    "Jag låser tråden här. Den fortsatta diskussionen sker i arbetsgruppen för "
                    "bildbanken."
                ),
                "reply_to": 0,
            },
        ],
    },
    {
        "group": "mangfald",
        "title": "Språkcafé – hur håller ni intresset uppe?",
        "theme": "integration",
        "goals": [4, 10],
        "pinned": False,
        "locked": False,
        "posts": [
            {
                "author": "malin.ekstrom@fagersta.se",
                "body": (
                    "Vi startade ett språkcafé på biblioteket i Fagersta för två år sedan. Det "
                    "började med ett trettiotal deltagare, men nu kommer ofta bara fem eller sex. "
                    "Hur har ni gjort för att hålla intresset uppe, både bland nyanlända och bland "
                    "volontärerna?"
                ),
                "reply_to": None,
            },
            {
                "author": "ahmad.rahimi@lindesberg.se",
                "body": (
                    "I Lindesberg har vi gått från ett allmänt språkcafé till **teman**: "
                    "körkortsteori, arbetsintervjuer, utvecklingssamtal i skolan. Deltagarna säger "
                    "att det känns mer meningsfullt att komma när de vet vad de ska öva på. Nu "
                    "kommer 15–20 personer varje vecka."
                ),
                "reply_to": 0,
            },
            {
                "author": "amira.hassan@avesta.se",
                "body": (
                    "Håller med Ahmad. I Avesta har vi dessutom flyttat caféet från eftermiddag "
                    "till kväll, eftersom många av dem som började på SFI 2016 nu arbetar eller "
                    "har praktik på dagtid.\n\n"
                    "En annan lärdom: volontärerna stannar längre om de får en kort introduktion "
                    "och en kontaktperson att vända sig till."
                ),
                "reply_to": 1,
            },
            {
                "author": "jenny.forsberg@avesta.se",
                "body": (
                    "Vi har börjat annonsera språkcaféet på arabiska och dari på bibliotekets "
                    "skärmar och i Facebookgrupper. Det gav fler besökare direkt."
                ),
                "reply_to": 0,
            },
        ],
    },
    {
        "group": "jamstalldhet",
        "title": "Hur fördelas föreningsbidragen mellan flickor och pojkar?",
        "theme": "social-hallbarhet",
        "goals": [5, 10],
        "pinned": False,
        "locked": False,
        "posts": [
            {
                "author": "emma.karlsson@norberg.se",
                "body": (
                    "Kultur- och fritidsnämnden i Norberg vill veta om vårt aktivitetsstöd gynnar "
                    "pojkar mer än flickor. Har någon gjort en sådan analys, och hur fick ni fram "
                    "underlaget?"
                ),
                "reply_to": None,
            },
            {
                "author": "sofia.bergstrom@lindesberg.se",
                "body": (
                    "Ja, vi gjorde det i Lindesberg 2018. Vi utgick från föreningarnas redovisning "
                    "av deltagartillfällen per kön och jämförde med bidragen. Resultatet:\n\n"
                    "- 62 procent av aktivitetsstödet gick till pojkars aktiviteter\n"
                    "- flickor deltog oftare i verksamhet som inte var bidragsberättigad, till "
                    "exempel dans i studieförbundens regi\n"
                    "- skillnaden var störst i åldern 13–16 år\n\n"
                    "Metoden finns beskriven under Resurser (3R-metoden)."
                ),
                "reply_to": 0,
            },
            {
                "author": "linnea.hakansson@nora.se",
                "body": (
                    "Intressant! Hur tog nämnden emot resultatet? Hos oss finns en oro bland "
                    "föreningarna att en analys ska leda till att de får mindre pengar."
                ),
                "reply_to": 1,
            },
            {
                "author": "sofia.bergstrom@lindesberg.se",
                "body": (
                    "Vi var tydliga med att analysen var ett underlag och inget beslut. Nämnden "
                    "har nu ändrat reglerna så att även öppen verksamhet utan medlemskrav kan få "
                    "stöd. Föreningarna var med och tog fram förslaget, och det gjorde stor "
                    "skillnad."
                ),
                "reply_to": 2,
            },
        ],
    },
    {
        "group": "jamstalldhet",
        "title": "Kompetensbaserad rekrytering och könsfördelning",
        "theme": "kompetensforsorjning",
        "goals": [5, 8],
        "pinned": False,
        "locked": False,
        "posts": [
            {
                "author": "fredrik.holm@nora.se",
                "body": (
                    "Inom vård och omsorg i Nora är 92 procent av de anställda kvinnor, och inom "
                    "tekniska förvaltningen är det nästan tvärtom. Vi ska nu utbilda alla chefer i "
                    "kompetensbaserad rekrytering. Har någon kommun följt upp om det faktiskt "
                    "påverkar könsfördelningen?"
                ),
                "reply_to": None,
            },
            {
                "author": "sofia.bergstrom@lindesberg.se",
                "body": (
                    "Vi har inte följt upp könsfördelningen än, men chefernas kravprofiler blev "
                    "betydligt mer konkreta. Ett tips är att granska **språket i annonserna**: vi "
                    "hittade många ord som signalerade en viss sorts person. Jag delar gärna den "
                    "checklista vi använder."
                ),
                "reply_to": 0,
            },
            {
                "author": "emma.karlsson@norberg.se",
                "body": (
                    "Checklistan vill vi också gärna ha i Norberg. Vi ska rekrytera fritidsledare "
                    "i vår och har nästan bara manliga sökande."
                ),
                "reply_to": 1,
            },
        ],
    },
    {
        "group": "styrgrupp",
        "title": "Planering av Bergslagen 2030 – höstens konferens",
        "theme": "kompetensforsorjning",
        "goals": [11, 17],
        "pinned": False,
        "locked": False,
        "posts": [
            {
                "author": "anna.lindqvist@ludvika.se",
                "body": (
                    "Hej alla gruppledare!\n\n"
                    "Nu är det dags att planera årets konferens **Bergslagen 2030**. Förslaget är "
                    "att vi håller den i Ludvika den 17 oktober, på temat Attraktivitet. Senast "
                    "den 15 maj behöver jag från varje ERFA-grupp:\n\n"
                    "- ett förslag på seminarium (45 minuter) med ett konkret exempel från någon "
                    "kommun\n"
                    "- namn på en eller två moderatorer\n"
                    "- önskemål om forskare att bjuda in\n\n"
                    "Budgeten är 180 000 kr, varav ungefär hälften går till lokal och mat."
                ),
                "reply_to": None,
            },
            {
                "author": "johan.eriksson@hedemora.se",
                "body": (
                    "Ungdomsgruppen vill att ungdomsråden själva håller i ett seminarium. Två "
                    "ungdomar från Hedemora och en från Storfors har redan sagt ja. Kan vi ersätta "
                    "deras resor och ge dem ett arvode?"
                ),
                "reply_to": 0,
            },
            {
                "author": "anna.lindqvist@ludvika.se",
                "body": (
                    "Resorna ersätter vi självklart. Arvodet stämmer jag av med föreningens "
                    "kassör, men jag ser inga hinder. Johan, skicka namnen till mig så bokar jag."
                ),
                "reply_to": 1,
            },
            {
                "author": "maria.oberg@fagersta.se",
                "body": (
                    "Attraktionskraft föreslår ett seminarium om inflyttarservice med Ludvika och "
                    "Fagersta, gärna tillsammans med en forskare från Högskolan Dalarna som "
                    "studerar flyttmönster."
                ),
                "reply_to": 0,
            },
            {
                "author": "sofia.bergstrom@lindesberg.se",
                "body": (
                    "Från Jämställdhet kan vi presentera 3R-analysen av föreningsbidragen. Och en "
                    "påminnelse till oss alla: låt oss se till att **panelerna blir jämställda** i "
                    "år. Förra året var 9 av 12 talare män."
                ),
                "reply_to": 0,
            },
            {
                "author": "amira.hassan@avesta.se",
                "body": (
                    "Mångfald önskar att åtminstone ett pass tolkas till arabiska och att "
                    "programmet finns på lätt svenska. Jag tar fram en kostnad till nästa möte."
                ),
                "reply_to": 0,
            },
        ],
    },
]

# Shared models, tools, processes and research, in the SKR case template.
RESOURCES: list[dict[str, Any]] = [
    {
        "group": "ungdom",
        "title": "Ungdomsrådet i Hedemora – modell för ungas inflytande",
        "theme": "social-hallbarhet",
        "builds_on": ["Fritid på lika villkor? Ungas föreningsliv i Bergslagen (demo)"],
        "kind": "model",
        "summary": (
            "Ett ungdomsråd med valda ledamöter från varje skola, egen budget och rätt att lämna "
            "ungdomsmotioner direkt till kommunfullmäktige."
        ),
        "municipality": "hedemora",
        "contact": "johan.eriksson@hedemora.se",
        "link": None,
        "goals": [4, 10, 16],
        "background": (
            "Hedemora hade under flera år ett ungdomsråd som mest fungerade som remissinstans, och "
            "intresset sjönk. I LUPP-enkäten 2015 svarade bara 14 procent av de unga att de kunde "
            "påverka i kommunen. Kommunfullmäktige gav därför fritidsförvaltningen i uppdrag att "
            "ta fram en ny modell."
        ),
        "purpose": (
            "Unga mellan 13 och 20 år ska ha ett verkligt inflytande i frågor som rör dem. Rådet "
            "ska kunna driva egna frågor, inte bara svara på remisser. Målet är att andelen unga "
            "som upplever att de kan påverka ska vara minst 25 procent år 2020."
        ),
        "implementation": (
            "Varje högstadie- och gymnasieskola väljer två ledamöter, och rådet med sina 12 "
            "ungdomar träffas varannan vecka. Rådet har en **egen budget på 100 000 kr** per år "
            "och rätt att lämna ungdomsmotioner till kommunfullmäktige. En ungdomssamordnare på "
            "halvtid stöttar rådet, och varje nämnd har en utsedd kontaktpolitiker."
        ),
        "results": (
            "Sedan starten 2016 har rådet lämnat sju motioner, varav fyra har bifallits, bland "
            "annat gratis busskort på sommarlovet och belysning på gång- och cykelvägen till "
            "idrottsplatsen. I LUPP 2018 svarade 23 procent att de kan påverka."
        ),
        "lessons": (
            "Det viktigaste är att politiken faktiskt svarar och återkopplar inom rimlig tid. En "
            "egen budget gör rådet trovärdigt bland andra unga. Planera för att ledamöterna byts "
            "ut när de tar studenten, och ha en tydlig introduktion varje höst."
        ),
        "adoptions": [
            {
                "municipality": "norberg",
                "author": "emma.karlsson@norberg.se",
                "adopted_on": "2018-10-01",
                "summary": (
                    "Norberg startade ett ungdomsråd efter modellen, med en budget på 30 000 kr "
                    "och ledamöter från högstadiet och fritidsgården."
                ),
                "outcome": "Infört, utvärderas 2020",
            },
            {
                "municipality": "storfors",
                "author": "mikael.nystrom@storfors.se",
                "adopted_on": "2019-03-15",
                "summary": (
                    "Storfors har infört ungdomsmotioner till kommunfullmäktige, men ännu inget "
                    "eget ungdomsråd."
                ),
                "outcome": "Delvis infört",
            },
        ],
        "discussion": [
            {
                "author": "linnea.hakansson@nora.se",
                "body": (
                    "Hur undviker ni att rådet blir en samling av de redan engagerade? Hos oss är "
                    "det ofta samma elever som sitter i elevrådet."
                ),
            },
            {
                "author": "johan.eriksson@hedemora.se",
                "body": (
                    "Bra fråga. Högst hälften av ledamöterna får samtidigt sitta i ett elevråd, "
                    "och vi lottar om för många ställer upp. Det har gett en bredare grupp."
                ),
            },
        ],
    },
    {
        "group": "attraktionskraft",
        "title": "Inflyttarservice med personlig lots",
        "theme": "attraktivitet",
        "builds_on": ["Att stanna eller flytta vidare – nyanländas etablering i Bergslagen (demo)"],
        "kind": "tool",
        "summary": (
            "En samlad service för nya invånare: en personlig lots hjälper hushållet med bostad, "
            "förskola, jobb för den medflyttande och kontakter med föreningslivet."
        ),
        "municipality": "ludvika",
        "contact": "helena.sjoberg@ludvika.se",
        "link": None,
        "goals": [8, 11],
        "background": (
            "Ludvika har länge haft svårt att rekrytera, både till kommunen och till de stora "
            "industriföretagen. Många nyanställda valde att pendla i stället för att flytta hit, "
            "och en del flyttade tillbaka efter något år. Ingen hade ett samlat ansvar för att ta "
            "emot nya invånare."
        ),
        "purpose": (
            "Fler av dem som får jobb i Ludvika ska bosätta sig här och stanna. Målet är att 300 "
            "hushåll per år ska få service och att minst 70 procent av dem ska bo kvar efter tre "
            "år."
        ),
        "implementation": (
            "En inflyttarlots på heltid finns på näringslivsavdelningen, finansierad gemensamt av "
            "kommunen och fem större arbetsgivare. Lotsen har ett första samtal med varje hushåll "
            "och går igenom en **checklista**: bostad, förskola och skola, den medflyttandes jobb "
            "och fritid. Två gånger per år bjuds nya invånare in till en välkomstkväll med "
            "föreningar och företag."
        ),
        "results": (
            "Under 2018 tog lotsen emot 240 hushåll, varav ungefär en tredjedel kom från andra "
            "länder. Av dem som flyttade in 2016 bor 76 procent fortfarande kvar. Arbetsgivarna "
            "upplever att det har blivit lättare att rekrytera specialister."
        ),
        "lessons": (
            "Den medflyttandes jobb är ofta den avgörande frågan, så ett nära samarbete med "
            "arbetsgivarna är nödvändigt. Ha en **namngiven person** med direktnummer, en "
            "funktionsbrevlåda räcker inte. Informationen på engelska bör finnas från början."
        ),
        "adoptions": [
            {
                "municipality": "fagersta",
                "author": "maria.oberg@fagersta.se",
                "adopted_on": "2019-01-21",
                "summary": (
                    "Fagersta har infört inflyttarservice enligt modellen, som en halvtidstjänst "
                    "på näringslivsenheten."
                ),
                "outcome": "Infört, 90 hushåll första året",
            },
            {
                "municipality": "filipstad",
                "author": "erik.lundgren@filipstad.se",
                "adopted_on": "2019-05-06",
                "summary": (
                    "Filipstad använder checklistan och välkomstkvällarna, men har ingen egen lots."
                ),
                "outcome": "Delvis infört",
            },
        ],
        "discussion": [
            {
                "author": "erik.lundgren@filipstad.se",
                "body": (
                    "Välkomstkvällarna fungerar bäst om föreningarna får ha egna bord. Till den "
                    "första kvällen i Filipstad kom 45 personer."
                ),
            },
        ],
    },
    {
        "group": "kommunikation",
        "title": "Kommunikationsplanering i fyra steg",
        "kind": "process",
        "summary": (
            "En enkel process för att planera kommunikationen redan när ett projekt eller ärende "
            "startar, från målgruppsanalys till uppföljning."
        ),
        "municipality": "borlange",
        "contact": "per.akesson@borlange.se",
        "link": None,
        "goals": [16, 17],
        "background": (
            "Kommunikationsavdelningen i Borlänge kopplades ofta in sent, när besluten redan var "
            "fattade och tiden var knapp. Invånarna fick veta vad som hänt först i efterhand, "
            "vilket gav många klagomål, till exempel när en skola lades ned 2016."
        ),
        "purpose": (
            "Kommunikationen ska planeras när ett projekt eller ärende startar. Invånare som "
            "berörs ska få veta vad som händer och hur de kan påverka innan besluten fattas."
        ),
        "implementation": (
            "Processen har fyra steg: **analys** (vilka berörs och vad behöver de veta), "
            "**planering** (budskap, kanaler och tidplan), **genomförande** och **uppföljning**. "
            "Projektledaren fyller i en mall på två sidor tillsammans med en kommunikatör vid "
            "projektstart. Alla ärenden till kommunstyrelsen ska ha en kommunikationsplan."
        ),
        "results": (
            "Under 2018 togs 46 kommunikationsplaner fram, jämfört med en handfull året innan. "
            "Antalet synpunkter om bristande information vid förändringar halverades, och "
            "projektledarna upplever att de får stöd tidigare."
        ),
        "lessons": (
            "Mallen måste vara kort, annars används den inte. Avgörande var att kommundirektören "
            "krävde planen i ärendeprocessen. Följ upp på riktigt: vi avsätter en timme efter "
            "varje större projekt för att utvärdera kommunikationen."
        ),
        "adoptions": [
            {
                "municipality": "hedemora",
                "author": "tomas.wallin@hedemora.se",
                "adopted_on": "2019-09-02",
                "summary": (
                    "Hedemora använder kortversionen på en halv sida för mindre ärenden och hela "
                    "mallen för de stora projekten."
                ),
                "outcome": "Infört i två förvaltningar",
            },
        ],
        "discussion": [
            {
                "author": "tomas.wallin@hedemora.se",
                "body": (
                    "Hur gör ni med ärenden som måste gå snabbt? Mallen passar bra för stora "
                    "projekt men känns tung för mindre ärenden."
                ),
            },
            {
                "author": "per.akesson@borlange.se",
                "body": (
                    "Vi har en kortversion på en halv sida med bara målgrupp, budskap och kanal. "
                    "Den räcker för de flesta mindre ärenden."
                ),
            },
        ],
    },
    {
        "group": "jamstalldhet",
        "title": "Jämställdhetsanalys av föreningsbidrag med 3R-metoden",
        "theme": "social-hallbarhet",
        "builds_on": ["Fritid på lika villkor? Ungas föreningsliv i Bergslagen (demo)"],
        "kind": "tool",
        "summary": (
            "Ett verktyg för att kartlägga hur resurser och inflytande fördelas mellan flickor och "
            "pojkar, kvinnor och män, här tillämpat på kommunens föreningsbidrag."
        ),
        "municipality": "lindesberg",
        "contact": "sofia.bergstrom@lindesberg.se",
        "link": None,
        "goals": [5, 10],
        "background": (
            "Lindesberg undertecknade CEMR-deklarationen om jämställdhet 2016 och behövde ett "
            "praktiskt sätt att granska verksamheterna. Kultur- och fritidsnämnden ville börja med "
            "föreningsbidragen, eftersom ingen visste vilka pengarna egentligen nådde."
        ),
        "purpose": (
            "Syftet är att synliggöra skillnader i hur kommunens resurser fördelas, så att "
            "besluten fattas på bättre underlag. Målet är att bidragen ska komma flickor och "
            "pojkar till del i lika hög grad."
        ),
        "implementation": (
            "Metoden bygger på tre frågor:\n\n"
            "- **Representation**: hur många flickor och pojkar, kvinnor och män finns med?\n"
            "- **Resurser**: hur fördelas pengar, tid och lokaler?\n"
            "- **Realia**: varför ser det ut så, och vilka normer styr?\n\n"
            "Vi jämförde föreningarnas redovisade deltagartillfällen per kön med bidragsbeloppen "
            "och höll två workshoppar med föreningar och tjänstepersoner. Arbetet tog fyra månader "
            "med en halvtidsresurs."
        ),
        "results": (
            "Analysen visade att 62 procent av aktivitetsstödet gick till pojkars verksamhet. "
            "Nämnden ändrade 2019 reglerna så att även öppen verksamhet utan medlemskrav kan få "
            "stöd, och alla föreningar redovisar nu deltagande per kön. Metoden används nu även "
            "för skolskjutsar och snöröjning."
        ),
        "lessons": (
            "Bjud in föreningarna tidigt så att analysen inte uppfattas som ett hot. Räkna med att "
            "statistiken är ofullständig det första året. Frågan om varför (Realia) är svårast men "
            "ger mest."
        ),
        "adoptions": [
            {
                "municipality": "nora",
                "author": "fredrik.holm@nora.se",
                "adopted_on": "2019-11-18",
                "summary": (
                    "Nora har granskat lokalbidragen och fritidsgårdarnas öppettider med 3R. "
                    "Föreningarna redovisar deltagande per kön från och med 2020."
                ),
                "outcome": "Analysen klar, nya regler beslutas 2020",
            },
        ],
        "discussion": [
            {
                "author": "fredrik.holm@nora.se",
                "body": (
                    "Hur hanterar ni deltagare som inte vill definiera sig som flicka eller pojke? "
                    "Vi fick frågan från en förening."
                ),
            },
            {
                "author": "sofia.bergstrom@lindesberg.se",
                "body": (
                    "Föreningarna kan redovisa ”annat eller vill inte uppge” som en egen kategori. "
                    "Det gäller få deltagare, men det är viktigt att frågan går att besvara."
                ),
            },
        ],
    },
    {
        "group": "mangfald",
        "title": "Att stanna eller flytta vidare – nyanländas etablering i Bergslagen (demo)",
        "theme": "integration",
        "kind": "research",
        "summary": (
            "En intervjustudie av forskare vid Högskolan Dalarna om vad som får nyanlända att "
            "stanna i mindre kommuner, gjord tillsammans med Avesta, Ludvika och Lindesberg. "
            "Studien är påhittad: den visar hur forskning ser ut i demon."
        ),
        "institution": "Högskolan Dalarna",
        "authors": "Karin Holmgren, Yusuf Demir",
        "year": 2019,
        "doi": "10.5555/erfa-demo.2019.01",
        "implications": (
            "Det som håller kvar nyanlända är **ett första jobb** och människor att känna, mer "
            "än bostaden. För en kommun betyder det att praktikplatser i den egna "
            "organisationen och en mentor från orten gör mest nytta det första året.\n\n"
            "Börja med att fråga de egna förvaltningarna hur många praktikplatser de kan ta "
            "emot, och koppla ihop varje nyanländ med en etablerad invånare."
        ),
        "municipality": "avesta",
        "contact": "amira.hassan@avesta.se",
        "link": None,
        "goals": [8, 10, 11],
        "background": (
            "Mellan 2015 och 2017 tog Bergslagens kommuner emot många nyanlända, men en stor del "
            "flyttade vidare till storstadsregionerna efter etableringstiden. Kommunerna visste "
            "för lite om varför, och Bergslagsakademien tog därför kontakt med Högskolan Dalarna."
        ),
        "purpose": (
            "Studien ska ge kommunerna underlag för att förbättra mottagandet så att fler väljer "
            "att stanna. Den ska också pröva hur forskare och kommuner kan arbeta tillsammans i "
            "gemensamma projekt."
        ),
        "implementation": (
            "Forskarna intervjuade 38 nyanlända och 15 tjänstepersoner i tre kommuner under 2018. "
            "Integrationssamordnarna hjälpte till med kontakter och tolkar, och de preliminära "
            "resultaten diskuterades på två workshoppar med ERFA-gruppen Mångfald. Slutrapporten "
            "presenterades på konferensen Bergslagen 2030."
        ),
        "results": (
            "De viktigaste skälen att stanna var **ett första jobb**, att barnen trivdes i skolan "
            "och personliga kontakter med etablerade invånare. Skälen att flytta var oftast brist "
            "på jobb inom det egna yrket och att släkt och vänner bodde på annan ort. "
            "Praktikplatser och mentorskap verkar betyda mer än bostaden."
        ),
        "lessons": (
            "Samarbetet krävde att kommunerna avsatte tid, ungefär två dagar i månaden för varje "
            "samordnare. Det var värdefullt att tjänstepersonerna fick diskutera resultaten innan "
            "rapporten var klar. Nästa gång vill vi ha med fler små kommuner, till exempel Norberg "
            "och Storfors."
        ),
        "adoptions": [],
        "discussion": [
            {
                "author": "ahmad.rahimi@lindesberg.se",
                "body": (
                    "Vi använde rapporten i Lindesberg när vi tog fram vårt nya mentorsprogram. "
                    "Avsnittet om **det första jobbet** hjälpte oss att få med "
                    "arbetsmarknadsenheten."
                ),
            },
        ],
    },
    {
        "group": "jamstalldhet",
        "title": "Fritid på lika villkor? Ungas föreningsliv i Bergslagen (demo)",
        "theme": "social-hallbarhet",
        "kind": "research",
        "summary": (
            "En enkät- och registerstudie av forskare vid Örebro universitet om vilka unga som "
            "deltar i föreningslivet och hur kommunernas bidrag fördelas. Studien är påhittad: "
            "den visar hur forskning ser ut i demon."
        ),
        "institution": "Örebro universitet",
        "authors": "Maja Sundström, Leo Nyberg",
        "year": 2015,
        "doi": "10.5555/erfa-demo.2015.02",
        "implications": (
            "Bidrag som följer antalet aktivitetstillfällen gynnar de stora lagidrotterna, där "
            "pojkar är i majoritet. Flickor och unga som inte är med i någon förening når man "
            "bättre genom öppna verksamheter och genom att fråga dem själva.\n\n"
            "En kommun kan börja med att redovisa bidragen per kön och ålder, och låta ett "
            "ungdomsråd vara med och prioritera."
        ),
        "municipality": "lindesberg",
        "contact": "sofia.bergstrom@lindesberg.se",
        "link": None,
        "goals": [5, 10],
        "background": (
            "Flera kommuner i Bergslagen såg att färre flickor än pojkar fick del av "
            "föreningsbidragen, men visste inte hur stor skillnaden var eller varför."
        ),
        "purpose": (
            "Studien ska beskriva vilka unga mellan 13 och 19 år som deltar i föreningslivet, "
            "och hur kommunernas bidragsregler påverkar fördelningen."
        ),
        "implementation": (
            "Forskarna gick igenom bidragsstatistiken i fem kommuner och lät 1 200 elever i "
            "årskurs 8 och gymnasiets år 2 svara på en enkät om sin fritid."
        ),
        "results": (
            "Pojkar stod för 64 procent av aktivitetstillfällena som gav bidrag. Unga som inte "
            "deltog i någon förening efterfrågade oftast platser att bara vara på, och "
            "aktiviteter utan krav på att tävla."
        ),
        "lessons": (
            "Registerdata räcker inte: enkäten visade vilka som inte syns i statistiken alls. "
            "Resultaten blev användbara först när tjänstepersonerna fick diskutera dem."
        ),
        "adoptions": [],
        "discussion": [
            {
                "author": "johan.eriksson@hedemora.se",
                "body": (
                    "Vi använde siffrorna när vi lät ungdomsrådet säga sitt om "
                    "föreningsbidragen. Det gav tyngd åt deras förslag."
                ),
            },
        ],
    },
    {
        "group": "attraktionskraft",
        "title": "Välfärdens medarbetare i mindre kommuner – att rekrytera och stanna kvar (demo)",
        "theme": "kompetensforsorjning",
        "kind": "research",
        "summary": (
            "En studie av forskare vid Mälardalens universitet om varför undersköterskor, "
            "lärare och socialsekreterare söker sig till och stannar i mindre kommuner. "
            "Studien är påhittad: den visar hur forskning ser ut i demon."
        ),
        "institution": "Mälardalens universitet",
        "authors": "Hanna Ek, Johannes Virtanen",
        "year": 2025,
        "doi": "10.5555/erfa-demo.2025.03",
        "implications": (
            "Lön spelar roll, men det som avgör om medarbetarna stannar är att de kan "
            "utvecklas utan att flytta: utbildning på arbetstid, en tydlig karriärväg och "
            "chefer med tid för sina medarbetare.\n\n"
            "För en kommun betyder det att yrkesväxling med lön under utbildningen och "
            "samarbete med grannkommunerna om utbildningsplatser ger mer än engångspremier."
        ),
        "municipality": "ludvika",
        "contact": "anna.lindqvist@ludvika.se",
        "link": None,
        "goals": [4, 8],
        "background": (
            "Bergslagens kommuner behöver fram till 2030 rekrytera hundratals medarbetare till "
            "vård, skola och omsorg, samtidigt som de unga flyttar till större orter."
        ),
        "purpose": (
            "Studien ska ge kommunerna kunskap om vad som får medarbetare i välfärden att söka "
            "sig till och stanna i mindre kommuner."
        ),
        "implementation": (
            "Forskarna intervjuade 46 medarbetare och 12 chefer i sex kommuner och följde upp "
            "personalomsättningen under fem år."
        ),
        "results": (
            "De som fått utbildning på arbetstid stannade i genomsnitt dubbelt så länge. Korta "
            "vikariat och ensamarbete var de vanligaste skälen att sluta."
        ),
        "lessons": (
            "Kommunernas HR-avdelningar hade mycket av underlaget redan; det som saknades var "
            "tid att analysera det tillsammans."
        ),
        "adoptions": [],
        "discussion": [
            {
                "author": "fredrik.holm@nora.se",
                "body": (
                    "Resultatet om utbildning på arbetstid stämmer med vår erfarenhet. Vi har "
                    "delat vår modell för yrkesväxling här i gruppen."
                ),
            },
        ],
    },
    {
        "group": "attraktionskraft",
        "title": "Yrkesväxling till omsorgen med lön under utbildningen",
        "theme": "kompetensforsorjning",
        "builds_on": [
            "Välfärdens medarbetare i mindre kommuner – att rekrytera och stanna kvar (demo)"
        ],
        "kind": "process",
        "summary": (
            "Vuxna som vill byta yrke anställs som vårdbiträden och utbildar sig till "
            "undersköterskor på halvtid, med lön, under ett och ett halvt år."
        ),
        "municipality": "nora",
        "contact": "fredrik.holm@nora.se",
        "link": None,
        "goals": [4, 8],
        "background": (
            "Nora hade svårt att rekrytera utbildade undersköterskor, och många vikarier "
            "slutade efter några månader."
        ),
        "purpose": (
            "Att utbilda egna undersköterskor och få dem att stanna: minst 15 personer per år."
        ),
        "implementation": (
            "Kommunen anställer deltagarna på 75 procent och betalar lön även för studietiden. "
            "Utbildningen sker på vuxenutbildningen tillsammans med Lindesberg, och varje "
            "deltagare har en handledare på arbetsplatsen."
        ),
        "results": (
            "Av de 18 som började första året tog 16 examen, och 14 arbetar kvar i kommunen."
        ),
        "lessons": (
            "Handledarna behöver tid i schemat. Samarbetet med grannkommunen gjorde att "
            "utbildningen kunde starta trots få deltagare."
        ),
        "adoptions": [
            {
                "municipality": "lindesberg",
                "author": "ahmad.rahimi@lindesberg.se",
                "adopted_on": "2026-02-01",
                "summary": (
                    "Lindesberg har startat en egen grupp med tio deltagare och delar lärare "
                    "med Nora."
                ),
                "outcome": "Infört, första gruppen studerar",
            },
        ],
        "discussion": [
            {
                "author": "helena.sjoberg@ludvika.se",
                "body": (
                    "Hur gör ni med deltagare som inte klarar studierna? Får de vara kvar som "
                    "vårdbiträden?"
                ),
            },
            {
                "author": "fredrik.holm@nora.se",
                "body": (
                    "Ja, anställningen gäller oavsett. Två har valt att stanna som vårdbiträden "
                    "och läsa i egen takt."
                ),
            },
        ],
    },
]


# Moderation that has happened in the demo association: a pending request to join the
# closed steering group, flags on posts (one open, one dismissed). Posts are named by
# the thread title and the index of the post in it (from 0).
JOIN_REQUESTS: list[dict[str, Any]] = [
    {
        "official": "emma.karlsson@norberg.se",
        "group": "styrgrupp",
        "message": (
            "Jag samordnar ungdomsfrågorna i Norberg och vill gärna vara med när "
            "styrgruppen planerar nästa års konferens."
        ),
    },
]

FLAGS: list[dict[str, Any]] = [
    {
        "official": "emma.karlsson@norberg.se",
        "thread": "Hur når ni unga som aldrig kommer till fritidsgården?",
        "post": 1,
        "reason": "Inlägget nämner en enskild handledare med namn; bör det ligga öppet?",
        "resolve": None,
    },
    {
        "official": "linnea.hakansson@nora.se",
        "thread": "Hur når ni unga som aldrig kommer till fritidsgården?",
        "post": 3,
        "reason": "Stämmer siffrorna? De skiljer sig från vad vi fått från SKR.",
        "resolve": {"action": "dismiss", "reason": "Siffrorna gäller 2019; inget fel i sak."},
    },
]
